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
 * containers, each with its own memory, so this limits nothing across them. One counter per
 * tenant, tagged with its window, so the store needs no clock of its own.
 */
export const memoryRateLimitStore = (options: MemoryRateLimitStoreOptions = {}): RateLimitStore => {
	// Counters carry their window, so they never need to expire by time: least recently seen
	// tenants are dropped beyond maxEntries, and the hot path never reads the clock.
	const counters = createTtlCache<Counter>({
		ttlMs: Number.POSITIVE_INFINITY,
		maxEntries: options.maxEntries ?? 10_000,
	})
	return {
		consume({ tenantId, windowStart, windowEnd, limit }) {
			// One counter per tenant and window length: limits of different lengths count apart.
			const key = `${tenantId}+${windowEnd - windowStart}`
			const counter = counters.lookup(key)
			if (counter?.windowStart !== windowStart) {
				counters.set(key, { windowStart, count: 1 })
				return { allowed: true, count: 1 }
			}
			if (counter.count >= limit) return { allowed: false, count: counter.count }
			counter.count++
			return { allowed: true, count: counter.count }
		},
	}
}
