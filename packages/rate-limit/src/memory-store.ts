import { assertKnownKeys, assertOption, isPlainObject, isPositiveInteger } from '@tenantry/util'
import { packageName } from './package-name.js'
import type { RateLimitStore } from './store.js'
import { ownStore } from './store-answer.js'

export interface MemoryRateLimitStoreOptions {
	/**
	 * Tenants tracked at once. Beyond it, a tenant not seen since the last eviction pass is
	 * dropped (least recently used, approximately). Default 10,000.
	 */
	maxEntries?: number | undefined
}

/** The defaults of `memoryRateLimitStore`'s options. */
export const memoryRateLimitStoreDefaults = {
	maxEntries: 10_000,
} as const satisfies Required<MemoryRateLimitStoreOptions>

/** A tenant's count in windows of one length, under one limit name. */
interface Counter {
	readonly windowLength: number
	readonly name: string | undefined
	windowStart: number
	count: number
	/** The tenant's counter for another window length, when its limits use more than one. */
	next: Counter | undefined
}

/**
 * The counter a tenant used first heads its list, so the common case (one limit per tenant) is
 * one object reached by one map lookup.
 */
interface TenantCounters extends Counter {
	/** Set on every request, cleared by an eviction pass that spares the tenant once. */
	recent: boolean
}

/**
 * Counters in this container's memory: for tests and single-container use. Lambda runs many
 * containers, each with its own memory, so this limits nothing across them. Counters are
 * tagged with their window, so the store needs no clock of its own.
 */
export const memoryRateLimitStore = (options: MemoryRateLimitStoreOptions = {}): RateLimitStore => {
	assertOption(
		isPlainObject(options),
		packageName,
		'memoryRateLimitStore',
		'options must be an object',
	)
	assertKnownKeys(packageName, 'memoryRateLimitStore', options as Record<string, unknown>, [
		'maxEntries',
	])
	const maxEntries = options.maxEntries ?? memoryRateLimitStoreDefaults.maxEntries
	assertOption(
		isPositiveInteger(maxEntries),
		packageName,
		'memoryRateLimitStore.maxEntries',
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

	/**
	 * A counter other than the head's. Those passed on the way whose window has ended are
	 * dropped, so a tenant whose plan changes window length keeps only counters still running.
	 */
	const otherCounter = (
		head: TenantCounters,
		windowLength: number,
		name: string | undefined,
		windowStart: number,
	) => {
		let previous: Counter = head
		for (let counter = head.next; counter !== undefined; counter = counter.next) {
			if (counter.windowLength === windowLength && counter.name === name) return counter
			if (counter.windowStart + counter.windowLength <= windowStart) previous.next = counter.next
			else previous = counter
		}
		const counter: Counter = { windowLength, name, windowStart, count: 0, next: undefined }
		previous.next = counter
		return counter
	}

	// Apart from `consume`, which runs on every request and stays small enough for V8 to inline.
	const addTenant = (
		tenantId: string,
		windowLength: number,
		name: string | undefined,
		windowStart: number,
	) => {
		if (tenants.size >= maxEntries) evictOne()
		const head: TenantCounters = {
			recent: false,
			windowLength,
			name,
			windowStart,
			count: 0,
			next: undefined,
		}
		tenants.set(tenantId, head)
		return head
	}

	return ownStore({
		consume({ tenantId, windowStart, windowEnd, limit, name }) {
			const windowLength = windowEnd - windowStart
			let head = tenants.get(tenantId)
			if (head === undefined) head = addTenant(tenantId, windowLength, name, windowStart)
			else head.recent = true
			const counter =
				head.windowLength === windowLength && head.name === name
					? head
					: otherCounter(head, windowLength, name, windowStart)
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
	})
}
