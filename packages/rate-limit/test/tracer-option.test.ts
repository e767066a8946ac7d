import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'

const cause = { package: '@tenantry/rate-limit', option: 'tracer' }

describe('the tracer option', () => {
	it('is refused at factory time when it is null, with a TypeError naming it', () => {
		expect(() => tenantRateLimit({ store: memoryRateLimitStore(), tracer: null as never })).toThrow(
			expect.objectContaining({ name: 'TypeError', cause }),
		)
	})

	it('is refused at factory time when it lacks putAnnotation, which a 429 calls', () => {
		// Only isTracingEnabled is checked today: accepted, the tenant's 429 becomes a 500.
		expect(() =>
			tenantRateLimit({
				store: memoryRateLimitStore(),
				limits: { requests: 1, windowSec: 3600 },
				tracer: { isTracingEnabled: () => true } as never,
			}),
		).toThrow(expect.objectContaining({ name: 'TypeError', cause }))
	})
})
