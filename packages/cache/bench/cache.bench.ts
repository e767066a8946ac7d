import { defineBench } from '../../../scripts/bench-kit.js'
import { createTtlCache } from '../src/index.js'

const keyCount = 1_000

/**
 * A warm cache hit against a plain `Map` lookup, over 1,000 keys per iteration so the
 * figure is the lookup, not the benchmark loop. Target: at most 3× a `Map`.
 *
 * The default clock reads `Date.now()` once per synchronous run, so the loop above shares one
 * reading among 1,000 hits; a request makes one or two lookups per cache and pays a reading
 * for them. The last comparison (no target) gives the hit as a request sees it: `lookup`, the
 * method the middlewares' warm paths call, with the clock read on each call.
 */
export default defineBench(async () => {
	const keys = Array.from({ length: keyCount }, (_, index) => `tenant-${index}`)
	const cache = createTtlCache<string>({ ttlMs: 3_600_000, maxEntries: keyCount })
	const map = new Map<string, string>()
	for (const key of keys) {
		await cache.get(key, async () => `secret-${key}`)
		map.set(key, `secret-${key}`)
	}
	// Stands for one request per lookup: what the tick clock costs when a run makes one call.
	const perRequest = createTtlCache<string>({
		ttlMs: 3_600_000,
		maxEntries: keyCount,
		now: () => Date.now(),
	})
	for (const key of keys) perRequest.set(key, `secret-${key}`)
	const load = async (key: string) => `secret-${key}`
	let sink = 0

	return {
		comparisons: [
			{
				name: 'cache hit, peek (sync)',
				ours: () => {
					for (const key of keys) sink += cache.peek(key)?.length ?? 0
				},
				peers: [
					{
						name: 'Map#get',
						run: () => {
							for (const key of keys) sink += map.get(key)?.length ?? 0
						},
						target: 3,
					},
				],
			},
			{
				name: 'cache hit, get (async)',
				ours: async () => {
					for (const key of keys) sink += (await cache.get(key, load)).length
				},
				peers: [
					{
						name: 'await Map#get',
						run: async () => {
							for (const key of keys) sink += (await map.get(key))?.length ?? 0
						},
						target: 3,
					},
				],
			},
			{
				name: 'cache hit, lookup (sync), one clock reading per lookup as in a request',
				ours: () => {
					for (const key of keys) sink += perRequest.lookup(key)?.length ?? 0
				},
				peers: [
					{
						name: 'Map#get',
						run: () => {
							for (const key of keys) sink += map.get(key)?.length ?? 0
						},
					},
				],
			},
		],
		teardown: () => {
			if (sink < 0) console.log(sink)
		},
	}
})
