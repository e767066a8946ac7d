import { type LocalStack, startLocalStack } from '@tenantry/testing'
import { afterAll, expect, it, vi } from 'vitest'

let stack: LocalStack | undefined
afterAll(() => stack?.stop())

it('starts the app-wide secret fetch at cold start without making module evaluation wait for it, and schedules no refresh', async () => {
	stack = await startLocalStack()
	stack.applyEnv()
	stack.secretsManager.putSecret('webhook-ingest/pseudonym-key', 'key')
	// Secrets Manager holds its answers for a minute: an import that waited would time out.
	stack.secretsManager.faults.inject({ type: 'delay', ms: 60_000 })
	Object.assign(process.env, {
		SECRET_PREFIX: 'tenants',
		DYNAMODB_TABLE_NAME: 'webhook-events',
		REPLAY_TABLE_NAME: 'webhook-replay',
		PSEUDONYM_KEY_SECRET_ID: 'webhook-ingest/pseudonym-key',
	})
	const timers = vi.spyOn(globalThis, 'setTimeout')
	const { handler } = await import('../handler.js')
	expect(typeof handler).toBe('function')
	const secretsManager = stack.secretsManager
	await vi.waitFor(() => expect(secretsManager.calls('webhook-ingest/pseudonym-key')).toBe(1))
	// The key is not refreshed from a timer: a refresh failing while no delivery awaits it would
	// be an unhandled rejection, which ends the Lambda environment.
	const laterThanAMinute = timers.mock.calls.filter(([, ms]) => (ms ?? 0) > 60_000)
	expect(laterThanAMinute).toEqual([])
	timers.mockRestore()
	// Tenant secrets are per request: none is fetched before one arrives.
	expect(secretsManager.calls()).toBe(1)
	// Let the held fetch be answered: cut off by the stack stopping, it would reject with
	// nothing awaiting it (the handler is never invoked here), an unhandled rejection. The
	// answer is written in the microtasks clear() starts, before the stack can stop.
	secretsManager.faults.clear()
})
