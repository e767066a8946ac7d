import { describe, expect, it } from 'vitest'
import type { ConsumeResult, RateLimitStore } from '../src/index.js'
import { tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * A store of the caller's own may answer something other than `{ allowed, count }` (a bug, an
 * older contract, a cache returning a miss as null). Such an answer is a store failure, answered
 * per `onStoreError` and logged, never a 500, a `RateLimit-Remaining: NaN` or a truthy string
 * read as "allowed".
 */

const start = Date.UTC(2026, 11, 5, 10, 0, 0)

const answering = (answer: () => unknown, asPromise: boolean): RateLimitStore => ({
	consume: () =>
		(asPromise ? Promise.resolve(answer()) : answer()) as ConsumeResult | Promise<ConsumeResult>,
})

const malformed: [string, unknown][] = [
	['null', null],
	['a count missing', { allowed: true }],
	['a count as text', { allowed: true, count: '1' }],
	['allowed as text', { allowed: 'yes', count: 1 }],
	['a bare true', true],
]

describe.each([
	['synchronous', false],
	['asynchronous', true],
])('a %s store answer of another shape', (_, asPromise) => {
	it.each(malformed)("with %s is a store failure: 'deny' answers 503", async (_, answer) => {
		const lines: string[] = []
		const { invoke, calls } = pipeline(
			tenantRateLimit({
				store: answering(() => answer, asPromise),
				onStoreError: 'deny',
				logger: (line) => lines.push(line),
				now: () => start,
			}),
		)
		const response = await invoke('acme')
		expect(response.statusCode).toBe(503)
		expect(calls.handler).toBe(0)
		expect(lines.map((line) => JSON.parse(line).error)).toEqual(['RateLimitStoreAnswerError'])
	})

	it.each(malformed)("with %s is a store failure: 'allow' lets it through", async (_, answer) => {
		const { invoke, calls } = pipeline(
			tenantRateLimit({
				store: answering(() => answer, asPromise),
				logger: () => undefined,
				now: () => start,
			}),
		)
		const response = await invoke('acme')
		expect(response.statusCode).toBe(200)
		expect(calls.handler).toBe(1)
		expect(JSON.stringify(response.headers ?? {})).not.toContain('NaN')
	})

	it('of the right shape is counted as before', async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 10, windowSec: 60 },
				store: answering(() => ({ allowed: true, count: 4 }), asPromise),
				now: () => start,
			}),
		)
		const response = await invoke('acme')
		expect(response.statusCode).toBe(200)
		expect(response.headers['RateLimit-Remaining']).toBe('6')
	})
})
