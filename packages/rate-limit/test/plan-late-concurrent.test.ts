import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, type RateLimit, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * Two lookups of one tenant can run at once: a late plan stored while a lookup runs detaches
 * that lookup from the plan cache, and once the late plan's `limitsCacheTtlMs` is over (shorter
 * than `limitsTimeoutMs`, e.g. 1 s against the default 2 s) or the plan was evicted, the next
 * request starts another. The newest lookup's plan must still be the one that applies.
 */

const start = Date.UTC(2026, 11, 5, 10, 0, 0)
const oldPlan: RateLimit = { requests: 100, windowSec: 60 }
const suspended: RateLimit = { requests: 0, windowSec: 60 }
const settled = () => new Promise((resolve) => setImmediate(resolve))

describe('two lookups of one tenant running at once', () => {
	it("keeps the newer lookup's in-time plan when the older one answers first", async () => {
		const clock = { now: start }
		const pending: Array<(plan: RateLimit) => void> = []
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: () => new Promise<RateLimit>((resolve) => pending.push(resolve)),
				limitsCacheTtlMs: 100,
				limitsTimeoutMs: 300,
				store: memoryRateLimitStore(),
				onStoreError: 'allow',
				logger: () => undefined,
				now: () => clock.now,
			}),
		)
		// Lookup 1 times out (the request goes through: no plan known, 'allow').
		expect((await invoke('acme')).statusCode).toBe(200)
		// Past the failure backoff lookup 2 starts; lookup 1's late plan arrives meanwhile.
		clock.now += 1_500
		const second = invoke('acme')
		await settled()
		pending[0]?.({ ...oldPlan })
		await settled()
		// That plan's cache time runs out while lookup 2 still runs: lookup 3 starts.
		clock.now += 150
		const third = invoke('acme')
		await settled()
		expect(pending).toHaveLength(3)
		// Both answer in time, the older first: the tenant was suspended in between.
		pending[1]?.({ ...oldPlan })
		expect((await second).statusCode).toBe(200)
		pending[2]?.({ ...suspended })
		expect((await third).statusCode).toBe(429)
		// The newest lookup's plan (suspended) applies, not lookup 2's.
		clock.now += 1
		expect((await invoke('acme')).statusCode).toBe(429)
		expect(pending).toHaveLength(3)
	})
})
