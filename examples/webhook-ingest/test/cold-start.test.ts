import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { expect, it, vi } from 'vitest'
import { pseudonymKeySecretId, signedDelivery, startWebhookIngest } from './local-webhook-ingest.js'

it('fetches no secret as the module loads; the first delivery fetches the app-wide key once and schedules no refresh', async () => {
	// Secrets Manager fails from the start: a fetch made at cold start would reject with no
	// delivery awaiting it, an unhandled rejection, which ends the Lambda environment.
	const { stack, handler } = await startWebhookIngest({ acme: 'acme-secret' }, (stack) =>
		stack.secretsManager.faults.inject({ type: 'server-error' }),
	)
	try {
		await new Promise((resolve) => setTimeout(resolve, 200))
		expect(stack.secretsManager.calls()).toBe(0)

		stack.secretsManager.faults.clear()
		const timers = vi.spyOn(globalThis, 'setTimeout')
		const body = JSON.stringify({ id: 'evt-1', type: 'invoice.paid', data: { email: 'a@b.c' } })
		const response = (await handler(
			signedDelivery('acme', 'acme-secret', body),
			lambdaContext(),
		)) as APIGatewayProxyStructuredResultV2
		expect(response.statusCode).toBe(202)
		expect(stack.secretsManager.calls(pseudonymKeySecretId)).toBe(1)
		// The key is not refreshed from a timer: a refresh failing while no delivery awaits it
		// would be an unhandled rejection too.
		const laterThanAMinute = timers.mock.calls.filter(([, ms]) => (ms ?? 0) > 60_000)
		expect(laterThanAMinute).toEqual([])
		timers.mockRestore()
	} finally {
		await stack.stop()
	}
})

it('fails its cold start naming a required variable that is not set, rather than later', async () => {
	vi.resetModules()
	const { SECRET_PREFIX: _, ...rest } = process.env
	const saved = process.env
	process.env = rest
	try {
		await expect(import('../handler.js')).rejects.toThrow(
			'environment variable SECRET_PREFIX is not set',
		)
	} finally {
		process.env = saved
	}
})
