import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLimitResolver } from '../src/limits.js'
import type { RateLimit } from '../src/options.js'

/**
 * After a failed lookup (here: one that timed out after an older lookup's late plan detached
 * it from the cache) no lookup of that tenant starts for a second (README, "Why allow by
 * default"), even when 10,000 other tenants' plans evicted the late plan meanwhile.
 */

const oldPlan: RateLimit = { requests: 100, windowSec: 60 }
const flush = async () => {
	for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('a detached lookup that fails after its tenant was evicted from the plan cache', () => {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 11, 5) })
	})
	afterEach(() => {
		vi.useRealTimers()
	})

	it('still starts the second without lookups', async () => {
		const acme: Array<(plan: RateLimit) => void> = []
		const limits = (tenant: string): RateLimit | Promise<RateLimit> =>
			tenant === 'acme'
				? new Promise<RateLimit>((resolve) => acme.push(resolve))
				: { requests: 10, windowSec: 60 }
		const resolver = createLimitResolver(limits, 60_000, 300, () => Date.now())
		const first = Promise.resolve(resolver('acme'))
		first.catch(() => undefined)
		// Lookup 1 times out at +300 ms; past the backoff, lookup 2 starts (+1,500 ms)...
		await vi.advanceTimersByTimeAsync(1_500)
		const second = Promise.resolve(resolver('acme'))
		second.catch(() => undefined)
		// ...and lookup 1's late plan is stored while it runs, detaching it.
		acme[0]?.(oldPlan)
		await flush()
		// 10,000 other tenants' plans evict acme's.
		for (let i = 0; i < 10_000; i++) resolver(`t${i}`)
		// Lookup 2 times out at +1,800 ms: a failed lookup.
		await vi.advanceTimersByTimeAsync(300)
		await expect(second).rejects.toThrow()
		// Within the second after it, no lookup of acme starts.
		await vi.advanceTimersByTimeAsync(100)
		Promise.resolve(resolver('acme')).catch(() => undefined)
		expect(acme).toHaveLength(2)
	})
})
