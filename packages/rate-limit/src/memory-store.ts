import { assertOption, isPositiveInteger } from '@tenantry/util'
import { packageName } from './package-name.js'
import type { RateLimitStore } from './store.js'

export interface MemoryRateLimitStoreOptions {
	/**
	 * Tenants tracked at once. Beyond it, a tenant not seen since the last eviction pass is
	 * dropped (least recently used, approximately). Default 10,000.
	 */
	maxEntries?: number
}

interface Counter {
	readonly windowLength: number
	windowStart: number
	count: number
}

interface TenantCounters {
	/** Set on every request, cleared by an eviction pass that spares the tenant once. */
	recent: boolean
	/** One per window length in use: limits of different lengths count apart. */
	counters: Counter[]
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
	// Keyed by the tenant id as it comes, so no key string is built per request. Eviction is the
	// clock (second-chance) approximation of LRU: a request only sets a flag, where moving the
	// tenant to the back of the map on every request was a measurable share of the middleware.
	const tenants = new Map<string, TenantCounters>()

	const evictOne = () => {
		for (const [tenantId, entry] of tenants) {
			tenants.delete(tenantId)
			if (!entry.recent) return
			entry.recent = false
			tenants.set(tenantId, entry)
		}
	}

	const counterFor = (entry: TenantCounters, windowLength: number, windowStart: number) => {
		for (const counter of entry.counters) if (counter.windowLength === windowLength) return counter
		// A new window length for this tenant: counters of lengths whose window has ended go.
		entry.counters = entry.counters.filter(
			(counter) => counter.windowStart + counter.windowLength > windowStart,
		)
		const counter: Counter = { windowLength, windowStart, count: 0 }
		entry.counters.push(counter)
		return counter
	}

	return {
		consume({ tenantId, windowStart, windowEnd, limit }) {
			let entry = tenants.get(tenantId)
			if (entry === undefined) {
				if (tenants.size >= maxEntries) evictOne()
				entry = { recent: false, counters: [] }
				tenants.set(tenantId, entry)
			} else entry.recent = true
			const counter = counterFor(entry, windowEnd - windowStart, windowStart)
			// Only a later window starts a new count: a clock stepping back keeps counting in the
			// window already reached rather than granting a fresh quota.
			if (windowStart > counter.windowStart) {
				counter.windowStart = windowStart
				counter.count = 0
			}
			if (counter.count >= limit) return { allowed: false, count: counter.count }
			counter.count++
			return { allowed: true, count: counter.count }
		},
	}
}
