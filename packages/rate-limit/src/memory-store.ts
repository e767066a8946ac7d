import { createTtlCache } from '@tenantry/cache'
import type { RateLimitStore } from './store.js'

export interface MemoryRateLimitStoreOptions {
	/** Tenants tracked at once, least recently seen dropped first. Default 10,000. */
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
	// Keyed by the tenant id itself, whose hash the engine keeps, rather than a key built per
	// request: hashing a fresh string was most of this store's cost. Each tenant holds one
	// counter per window length, so limits of different lengths count apart. Counters carry
	// their window, so they never need to expire by time: least recently seen tenants are
	// dropped beyond maxEntries, and the hot path never reads the clock.
	const tenants = createTtlCache<Map<number, Counter>>({
		ttlMs: Number.POSITIVE_INFINITY,
		maxEntries: options.maxEntries ?? 10_000,
	})
	return {
		consume({ tenantId, windowStart, windowEnd, limit }) {
			let windows = tenants.lookup(tenantId)
			if (windows === undefined) {
				windows = new Map()
				tenants.set(tenantId, windows)
			}
			const length = windowEnd - windowStart
			const counter = windows.get(length)
			if (counter?.windowStart !== windowStart) {
				windows.set(length, { windowStart, count: 1 })
				return { allowed: true, count: 1 }
			}
			if (counter.count >= limit) return { allowed: false, count: counter.count }
			counter.count++
			return { allowed: true, count: counter.count }
		},
	}
}
