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

describe('a load detached by set that never settles', () => {
	it('is not kept: repeated get-then-set cycles on one key do not grow the heap', async () => {
		const cache = createTtlCache<string>({ ttlMs: 10_000, failureBackoffMs: 1_000, now: () => 0 })
		const hang = () => new Promise<string>(() => undefined)
		const cycle = () => {
			// The value set expires at once, so the next get starts a load that hangs.
			void cache.get('k', hang).catch(() => undefined)
			cache.set('k', 'v', { ttlMs: 0 })
		}
		for (let i = 0; i < 1_000; i++) cycle()
		await new Promise((resolve) => setTimeout(resolve, 0))
		const before = heapAfterGc()
		for (let i = 0; i < 200_000; i++) cycle()
		await new Promise((resolve) => setTimeout(resolve, 0))
		const grown = heapAfterGc() - before
		// 200,000 flights kept would be well over 10 MB.
		expect(grown).toBeLessThan(4_000_000)
	})
})
