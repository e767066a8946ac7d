import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createTtlCache } from '../src/index.js'

/**
 * README, Bounded: at most `maxEntries` keys with a value and `maxNegativeEntries` without.
 * A load a `set` detached that never settles must not leave per-key bookkeeping behind that
 * outgrows those bounds: a flood of distinct keys (tokens, tenants) would grow the heap forever.
 */

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const heapAfterGc = (): number => {
	gc()
	gc()
	return process.memoryUsage().heapUsed
}

describe('loads detached by set that never settle, on many distinct keys', () => {
	it('keep no more than the cache bounds allow', async () => {
		const cache = createTtlCache<string>({
			ttlMs: 10_000,
			failureBackoffMs: 1_000,
			maxEntries: 10,
			now: () => 0,
		})
		const hang = () => new Promise<string>(() => undefined)
		let n = 0
		const cycle = () => {
			const key = `k${n++}`
			void cache.get(key, hang).catch(() => undefined)
			cache.set(key, 'v')
		}
		for (let i = 0; i < 1_000; i++) cycle()
		await new Promise((resolve) => setTimeout(resolve, 0))
		const before = heapAfterGc()
		for (let i = 0; i < 200_000; i++) cycle()
		await new Promise((resolve) => setTimeout(resolve, 0))
		const grown = heapAfterGc() - before
		expect(cache.size).toBeLessThanOrEqual(20)
		// 200,000 per-key markers kept would be well over 10 MB.
		expect(grown).toBeLessThan(4_000_000)
	})
})
