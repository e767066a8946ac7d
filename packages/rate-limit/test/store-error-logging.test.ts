import { afterEach, describe, expect, it } from 'vitest'
import { tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * Logging a store failure must never change the answer: the README promises 'allow' lets the
 * request through and 'deny' answers 503, never a 500, and Lambda ends the runtime on an
 * unhandled rejection (Runtime.UnhandledPromiseRejection), failing the invocation.
 */

const start = Date.UTC(2026, 10, 23, 10, 0, 0)

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
process.on('unhandledRejection', onUnhandled)
afterEach(() => {
	unhandled.length = 0
})

/** Long enough for a rejected promise nobody handles to be reported. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

const failingStore = (reason: () => unknown) => ({
	consume: () => Promise.reject(reason()),
})

describe('logging a store failure', () => {
	it('lets the request through when an async logger rejects, with no unhandled rejection', async () => {
		const { invoke, calls } = pipeline(
			tenantRateLimit({
				store: failingStore(() => new Error('store down')),
				// Assignable to `(line: string) => void`: a logger shipping lines to a sink.
				logger: async () => {
					throw new Error('log sink down')
				},
				now: () => start,
			}),
		)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect(calls.handler).toBe(1)
		await settle()
		expect(unhandled).toEqual([])
	})

	it.each([
		['allow', 200],
		['deny', 503],
	] as const)(
		"answers %s's status when the store fails with a value String() cannot format",
		async (onStoreError, status) => {
			const lines: string[] = []
			const { invoke } = pipeline(
				tenantRateLimit({
					// A null-prototype object (a parsed error body, say) has no toString.
					store: failingStore(() => Object.assign(Object.create(null), { code: 'Unavailable' })),
					onStoreError,
					logger: (line) => lines.push(line),
					now: () => start,
				}),
			)
			expect((await invoke('acme')).statusCode).toBe(status)
			expect(lines).toHaveLength(1)
		},
	)

	it('names a failure that is not an error by its type, never by its text', async () => {
		const lines: string[] = []
		const { invoke } = pipeline(
			tenantRateLimit({
				store: failingStore(() => 'connection to sess-7f3a@10.0.0.12 refused'),
				logger: (line) => lines.push(line),
				now: () => start,
			}),
		)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect(lines.map((line) => JSON.parse(line).error)).toEqual(['string'])
	})
})
