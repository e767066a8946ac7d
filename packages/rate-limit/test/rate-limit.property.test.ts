import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

const step = fc.record({
	container: fc.integer({ min: 0, max: 2 }),
	tenant: fc.constantFrom('acme', 'globex', 'initech'),
	advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30_000 })),
})

/**
 * Three containers share one exact store. Whatever the order of requests and the passage of
 * time, each tenant gets exactly min(attempts, limit) requests through per window, every other
 * request is a 429, and every answer carries consistent RateLimit headers.
 */
describe('rate limiting against a counting model', () => {
	it('allows exactly min(attempts, limit) per tenant and window', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(step, { minLength: 1, maxLength: 80 }),
				fc.integer({ min: 1, max: 5 }),
				async (steps, limit) => {
					let now = Date.UTC(2026, 0, 1)
					const store = memoryRateLimitStore()
					const containers = [0, 1, 2].map(() =>
						pipeline(
							tenantRateLimit({
								limits: { requests: limit, windowSec: 60 },
								store,
								now: () => now,
							}),
						),
					)
					const allowed = new Map<string, number>()
					for (const { container, tenant, advanceMs } of steps) {
						now += advanceMs
						const key = `${tenant}#${Math.floor(now / 60_000)}`
						const used = allowed.get(key) ?? 0
						const result = await containers[container]?.invoke(tenant)
						expect(result?.statusCode).toBe(used < limit ? 200 : 429)
						if (used < limit) allowed.set(key, used + 1)
						expect(result?.headers['RateLimit-Limit']).toBe(String(limit))
						expect(result?.headers['RateLimit-Remaining']).toBe(
							String(Math.max(0, limit - Math.min(limit, used + 1))),
						)
						expect(Number(result?.headers['RateLimit-Reset'])).toBeLessThanOrEqual(60)
					}
				},
			),
			{ numRuns: 300 },
		)
	})
})
