import { assertOption, isPositiveInteger } from '@tenantry/util'
import { packageName } from './package-name.js'
import type { RateLimitStore } from './store.js'

export interface MemoryRateLimitStoreOptions {
	/**
	 * Counters kept per window length, one per tenant. Beyond it, counters of ended windows go
	 * first, then the one whose window began earliest. Default 10,000.
	 */
	maxEntries?: number
}

interface Counter {
	windowStart: number
	count: number
}

/**
 * Counters in this container's memory: for tests and single-container use. Lambda runs many
 * containers, each with its own memory, so this limits nothing across them. Counters are
 * tagged with their window, so the store needs no clock of its own.
 */
export const memoryRateLimitStore = (options: MemoryRateLimitStoreOptions = {}): RateLimitStore => {
	const maxEntries = options.maxEntries ?? 10_000
	assertOption(
		isPositiveInteger(maxEntries),
		packageName,
		'memoryRateLimitStore maxEntries',
		'must be a positive integer',
	)
	// Window length -> tenant id -> counter, so limits of different lengths count apart and the
	// tenant id is the key as it comes, with no key string built per request. A counter moves to
	// the back of its map when its window starts; the front therefore holds counters of windows
	// that have ended (worthless, they restart on the next request) before any running one, and
	// beyond maxEntries the front is dropped. A plain map, not the LRU cache, because reordering
	// on every request was a measurable share of the whole middleware's cost.
	const byLength = new Map<number, Map<string, Counter>>()
	return {
		consume({ tenantId, windowStart, windowEnd, limit }) {
			const length = windowEnd - windowStart
			let counters = byLength.get(length)
			if (counters === undefined) {
				counters = new Map()
				byLength.set(length, counters)
			}
			const counter = counters.get(tenantId)
			if (counter?.windowStart === windowStart) {
				if (counter.count >= limit) return { allowed: false, count: counter.count }
				counter.count++
				return { allowed: true, count: counter.count }
			}
			if (limit < 1) return { allowed: false, count: 0 }
			if (counter !== undefined) counters.delete(tenantId)
			else if (counters.size >= maxEntries) {
				const front = counters.keys().next()
				if (front.done !== true) counters.delete(front.value)
			}
			counters.set(tenantId, { windowStart, count: 1 })
			return { allowed: true, count: 1 }
		},
	}
}
