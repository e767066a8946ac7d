import { describe, expect, it } from 'vitest'
import { createTtlCache } from '../src/index.js'

// README, `lookup`: it "counts a hit or miss" — every call, so that hits / (hits + misses) is
// the hit ratio of the warm path. A stale value served while loads back off is not a hit (it is
// not fresh): it is a miss, as `get` counts the same answer, and also `staleServed`.
describe('lookup serving a stale value while loads back off', () => {
	it('counts a miss, as get does for the same answer', async () => {
		let now = 0
		const cache = createTtlCache<string>({
			ttlMs: 1_000,
			staleIfErrorMs: 10_000,
			failureBackoffMs: 5_000,
			now: () => now,
		})
		await cache.get('k', async () => 'old')
		now = 1_000
		expect(await cache.get('k', async () => Promise.reject(new Error('down')))).toBe('old')
		const afterGet = cache.stats()

		expect(await cache.get('k', async () => 'unused')).toBe('old')
		const byGet = cache.stats()
		expect(byGet.misses - afterGet.misses).toBe(1)

		expect(cache.lookup('k')).toBe('old')
		const byLookup = cache.stats()
		expect({
			hits: byLookup.hits - byGet.hits,
			misses: byLookup.misses - byGet.misses,
			staleServed: byLookup.staleServed - byGet.staleServed,
		}).toEqual({ hits: 0, misses: 1, staleServed: 1 })
	})
})
