import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createTtlCache } from '../src/index.js'

/**
 * A load a `set` detached is held only by its own pending work: one that never settles (a
 * socket that hangs) is garbage once nothing awaits it, as before `set` started tracking it.
 */

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const heapAfterGc = (): number => {
	gc()
	gc()
	return process.memoryUsage().heapUsed
}

/** Heap growth over 200,000 cycles, after 1,000 to warm up. */
const heapGrowthOver = async (cycle: () => void): Promise<number> => {
	const settle = () => new Promise((resolve) => setTimeout(resolve, 0))
	for (let i = 0; i < 1_000; i++) cycle()
	await settle()
	const before = heapAfterGc()
	for (let i = 0; i < 200_000; i++) cycle()
	await settle()
	return heapAfterGc() - before
}

const hang = () => new Promise<string>(() => undefined)

describe('a load detached by set that never settles', () => {
	it('is not kept: repeated get-then-set cycles on one key do not grow the heap', async () => {
		const cache = createTtlCache<string>({ ttlMs: 10_000, failureBackoffMs: 1_000, now: () => 0 })
		const cycle = () => {
			// The value set expires at once, so the next get starts a load that hangs.
			void cache.get('k', hang).catch(() => undefined)
			cache.set('k', 'v', { ttlMs: 0 })
		}
		const grown = await heapGrowthOver(cycle)
		// 200,000 flights kept would be well over 10 MB.
		expect(grown).toBeLessThan(4_000_000)
	})
})

/**
 * README, Bounded: at most `maxEntries` keys with a value and `maxNegativeEntries` without.
 * A load a `set` detached that never settles must not leave per-key bookkeeping behind that
 * outgrows those bounds: a flood of distinct keys (tokens, tenants) would grow the heap forever.
 */
describe('loads detached by set that never settle, on many distinct keys', () => {
	it('keep no more than the cache bounds allow', async () => {
		const cache = createTtlCache<string>({
			ttlMs: 10_000,
			failureBackoffMs: 1_000,
			maxEntries: 10,
			now: () => 0,
		})
		let n = 0
		const cycle = () => {
			const key = `k${n++}`
			void cache.get(key, hang).catch(() => undefined)
			cache.set(key, 'v')
		}
		const grown = await heapGrowthOver(cycle)
		expect(cache.size).toBeLessThanOrEqual(20)
		// 200,000 per-key markers kept would be well over 10 MB.
		expect(grown).toBeLessThan(4_000_000)
	})
})
