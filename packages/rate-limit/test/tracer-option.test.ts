import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

const cause = { package: '@tenantry/rate-limit', option: 'tracer' }

describe('the tracer option', () => {
	it('is refused at factory time when it is null, with a TypeError naming it', () => {
		expect(() => tenantRateLimit({ store: memoryRateLimitStore(), tracer: null as never })).toThrow(
			expect.objectContaining({ name: 'TypeError', cause }),
		)
	})

	it('is refused at factory time when it lacks putAnnotation, which a 429 calls', () => {
		expect(() =>
			tenantRateLimit({
				store: memoryRateLimitStore(),
				limits: { requests: 1, windowSec: 3600 },
				tracer: { isTracingEnabled: () => true } as never,
			}),
		).toThrow(expect.objectContaining({ name: 'TypeError', cause }))
	})

	it('never turns a 429 into a 500 when the tracer throws', async () => {
		const throwing = {
			isTracingEnabled: () => true,
			getSegment: () => undefined,
			setSegment: () => undefined,
			putAnnotation: () => {
				throw new Error('No context available')
			},
		}
		const { invoke } = pipeline(
			tenantRateLimit({
				store: memoryRateLimitStore(),
				limits: { requests: 1, windowSec: 3600 },
				tracer: throwing as never,
				// Fixed: on the system clock, an hour could end between the two requests.
				now: () => Date.UTC(2026, 10, 23, 10, 0, 0),
			}),
		)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(429)
	})
})
