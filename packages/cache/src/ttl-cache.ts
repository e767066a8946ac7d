import { LruList, type LruNode } from './lru-list.js'
import { isNotFound, type NotFoundError } from './not-found.js'
import { resolveOptions, type TtlCacheOptions } from './options.js'
import { type CacheStats, emptyStats } from './stats.js'

export type Loader<V> = (key: string) => Promise<V>

export interface GetOptions {
	/**
	 * Treat a value loaded longer ago than this as expired, even within `ttlMs`. Lets a
	 * caller force one (single-flight) refresh, e.g. after a signature failed with a secret
	 * that may have been rotated, or after an unknown JWKS `kid` with a cooldown.
	 */
	maxAgeMs?: number
	/**
	 * Whether this caller may be served an old value when loading fails (default true). With
	 * `false` it gets the load error instead: for callers that need to know the refresh failed.
	 */
	allowStale?: boolean
	/**
	 * Serve an expired value that may still be served stale (within `staleIfErrorMs`) at once,
	 * and load a fresh one in the background (single-flight), instead of waiting for it: for
	 * values still usable after their TTL, such as credentials refreshed before they expire.
	 */
	refreshInBackground?: boolean
	/**
	 * Starts a `refreshInBackground` load: called with what starts it, which it calls at once and
	 * whose result it returns, e.g. from another context than the caller's (the load outlives the
	 * caller that happened to find the value old). Loads that callers wait for start as they are.
	 */
	startRefresh?: <T>(start: () => T) => T
}

export interface SetOptions {
	/** Lifetime of this value instead of the cache's `ttlMs`, e.g. bounded by a token's `exp`. */
	ttlMs?: number
}

export interface TtlCache<V> {
	/** The value for `key`, loading it (once for all concurrent callers) when needed. */
	get(key: string, load: Loader<V>, options?: GetOptions): Promise<V>
	/**
	 * What `get` would serve right now without loading (a fresh value, or an old one while
	 * loads are backing off), synchronously; counts it and marks the key as recently used.
	 * For hot paths that compute values synchronously and `set` them.
	 */
	lookup(key: string): V | undefined
	/** Like `lookup`, but counts nothing and leaves recency alone. */
	peek(key: string): V | undefined
	/** Stores a value computed elsewhere, e.g. by a synchronous verification. */
	set(key: string, value: V, options?: SetOptions): void
	delete(key: string): boolean
	clear(): void
	readonly size: number
	stats(): CacheStats
}

interface Entry<V> extends LruNode {
	/** Whether `value` was loaded (it may be past `expiresAt` and only usable as stale). */
	hasValue: boolean
	value: V | undefined
	notFound: NotFoundError | undefined
	loadedAt: number
	/** Until then `value` (or `notFound`) is served without loading. */
	expiresAt: number
	/** Until then `value` may be served when loading fails. */
	staleUntil: number
	/** The last load error, remembered while loads back off. */
	failure: unknown
	/**
	 * When it failed. Kept rather than worked back from `failedUntil`: on a clock in fractional
	 * milliseconds the sum rounds, and the failure's own instant could fall outside its backoff.
	 */
	failedAt: number
	/** No load is started before this time (0: no backoff). */
	failedUntil: number
}

interface LoadOutcome<V> {
	value: V
	stale: boolean
	error: unknown
}

/** One load of a key. `delete`, `set` and `clear` detach it: its result is then not stored. */
interface Flight<V> {
	outcome: Promise<LoadOutcome<V>> | undefined
	/**
	 * Set when a `set` detached it: unless a `delete` or `clear` forgot the key since, its failure
	 * then starts a backoff, whatever the key holds by then (a value loaded since, or nothing).
	 */
	replaced: Replaced | undefined
}

/**
 * A key's loads that a `set` detached and that have not settled yet. Held by those flights and,
 * until a `delete` or `clear` forgets the key, by the cache: never the flights themselves, so
 * one that never settles is garbage once nothing awaits it.
 */
interface Replaced {
	pending: number
	forgotten: boolean
}

const ignore = (): void => undefined

/**
 * An in-memory, per-container cache for values that are expensive to fetch. It never
 * starts a timer and never refreshes idle keys: all work happens inside its calls.
 */
export const createTtlCache = <V>(options: TtlCacheOptions): TtlCache<V> => {
	const {
		ttlMs,
		staleIfErrorMs,
		negativeTtlMs,
		failureBackoffMs,
		maxEntries,
		maxNegativeEntries,
		now,
	} = resolveOptions(options)
	const entries = new Map<string, Entry<V>>()
	// Keys with a value and keys without one (not found, or failed while backing off) are
	// bounded apart, so a flood of unknown keys can only evict other unknown keys.
	const withValue = new LruList<Entry<V>>()
	const withoutValue = new LruList<Entry<V>>()
	const recencyOf = (entry: Entry<V>): LruList<Entry<V>> =>
		entry.hasValue ? withValue : withoutValue
	const inflight = new Map<string, Flight<V>>()
	/** Per key with loads a `set` detached that have not settled yet: what `delete` marks. */
	const replacedLoads = new Map<string, Replaced>()
	const counters = emptyStats()
	/** What the clock read last, to notice it stepping back. */
	let lastRead = Number.NEGATIVE_INFINITY

	/**
	 * The clock, as every call reads it. The wall clock can step back (NTP): once any call reads it
	 * before a failure, that failure's backoff is over for good, not only until the clock catches
	 * up with the failure again (a minute's step would bring its second back a minute later).
	 */
	const clock = (): number => {
		const at = now()
		if (at < lastRead)
			for (const entry of entries.values()) if (at < entry.failedAt) entry.failedUntil = 0
		lastRead = at
		return at
	}

	const remove = (entry: Entry<V>): void => {
		entries.delete(entry.key)
		recencyOf(entry).remove(entry)
	}

	const insert = (entry: Entry<V>): void => {
		const previous = entries.get(entry.key)
		if (previous) remove(previous)
		entries.set(entry.key, entry)
		const recency = recencyOf(entry)
		recency.pushNewest(entry)
		if (recency.size > (entry.hasValue ? maxEntries : maxNegativeEntries) && recency.oldest) {
			remove(recency.oldest)
			counters.evictions++
		}
	}

	const store = (
		key: string,
		value: V | undefined,
		notFound: NotFoundError | undefined,
		lifetimeMs: number,
		staleMs: number,
	): void => {
		const loadedAt = clock()
		const expiresAt = loadedAt + lifetimeMs
		insert({
			key,
			hasValue: notFound === undefined,
			value,
			notFound,
			loadedAt,
			expiresAt,
			staleUntil: expiresAt + staleMs,
			failure: undefined,
			failedAt: 0,
			failedUntil: 0,
			newer: undefined,
			older: undefined,
		})
	}

	const storeNotFound = (key: string, notFound: NotFoundError): void => {
		if (negativeTtlMs > 0) {
			store(key, undefined, notFound, negativeTtlMs, 0)
			return
		}
		const previous = entries.get(key)
		if (previous) remove(previous)
	}

	/** Remembers a failed load so that no load starts for `failureBackoffMs`. */
	const recordFailure = (key: string, error: unknown, at: number): void => {
		const entry = entries.get(key)
		if (entry !== undefined) {
			entry.failure = error
			entry.failedAt = at
			entry.failedUntil = at + failureBackoffMs
			return
		}
		insert({
			key,
			hasValue: false,
			value: undefined,
			notFound: undefined,
			loadedAt: at,
			expiresAt: Number.NEGATIVE_INFINITY,
			staleUntil: Number.NEGATIVE_INFINITY,
			failure: error,
			failedAt: at,
			failedUntil: at + failureBackoffMs,
			newer: undefined,
			older: undefined,
		})
	}

	const isFresh = (entry: Entry<V>, at: number, maxAgeMs: number | undefined): boolean =>
		(entry.hasValue || entry.notFound !== undefined) &&
		at < entry.expiresAt &&
		(maxAgeMs === undefined || at - entry.loadedAt < maxAgeMs)

	/**
	 * Whether loads of the key still back off. The clock is the wall clock, which can step back
	 * (NTP): a time before the failure says nothing about how long ago it was, and taken as
	 * within the backoff it would stretch it by the step, each caller getting the old error
	 * (a minute's 503s, or a tenant without a plan unlimited, after one failed plan lookup).
	 */
	const isBackingOff = (entry: Entry<V>, at: number): boolean =>
		at < entry.failedUntil && entry.failedAt <= at

	const isUsableStale = (entry: Entry<V>, at: number): boolean =>
		entry.hasValue && at < entry.staleUntil

	/** What may be served without loading: fresh, or stale while loads back off. */
	const servable = (entry: Entry<V>, maxAgeMs?: number): 'fresh' | 'stale' | undefined => {
		if (entry.expiresAt === Number.POSITIVE_INFINITY && maxAgeMs === undefined && entry.hasValue)
			return 'fresh'
		const at = clock()
		if (isFresh(entry, at, maxAgeMs)) return 'fresh'
		return isBackingOff(entry, at) && isUsableStale(entry, at) ? 'stale' : undefined
	}

	const settle = async (
		key: string,
		load: Loader<V>,
		flight: Flight<V>,
	): Promise<LoadOutcome<V>> => {
		try {
			const value = await load(key)
			// A load started before a delete, set or clear answers its own callers only: it must
			// not bring back a value the caller forgot, or overwrite a newer one.
			if (inflight.get(key) === flight) store(key, value, undefined, ttlMs, staleIfErrorMs)
			return { value, stale: false, error: undefined }
		} catch (error) {
			// Counted whether or not the load is still the key's: the dependency failed either way,
			// and `loadErrors` is what an alarm on it watches.
			if (!isNotFound(error)) counters.loadErrors++
			if (inflight.get(key) !== flight) {
				// Detached: its callers get what the cache holds now (a value set meanwhile, or one
				// still within its stale window), as any caller of a failed load would. Nothing is
				// recorded against a key the caller forgot (delete, clear), even if a newer load stored
				// it again; a load a `set` replaced did fail: no load starts for `failureBackoffMs`, as
				// after any failure, whether the key still holds the value set, a newer one, or none.
				const current = entries.get(key)
				const at = clock()
				if (flight.replaced?.forgotten === false && failureBackoffMs > 0 && !isNotFound(error))
					recordFailure(key, error, at)
				if (current !== undefined && isUsableStale(current, at))
					return { value: current.value as V, stale: true, error }
				throw error
			}
			if (isNotFound(error)) {
				storeNotFound(key, error)
				throw error
			}
			const at = clock()
			const previous = entries.get(key)
			if (previous !== undefined && isUsableStale(previous, at)) {
				if (failureBackoffMs > 0) recordFailure(key, error, at)
				return { value: previous.value as V, stale: true, error }
			}
			if (previous !== undefined) remove(previous)
			if (failureBackoffMs > 0) recordFailure(key, error, at)
			throw error
		}
	}

	const startLoad = (key: string, load: Loader<V>): Promise<LoadOutcome<V>> => {
		counters.loads++
		const flight: Flight<V> = { outcome: undefined, replaced: undefined }
		// Registered before the loader runs, so even one that answers synchronously finds itself
		// current; `finally` runs on a later tick, after it is registered.
		inflight.set(key, flight)
		const outcome = settle(key, load, flight).finally(() => {
			if (inflight.get(key) === flight) inflight.delete(key)
			const replaced = flight.replaced
			if (replaced !== undefined && --replaced.pending === 0 && replacedLoads.get(key) === replaced)
				replacedLoads.delete(key)
		})
		flight.outcome = outcome
		return outcome
	}

	const serveStale = (value: V | undefined, allowStale: boolean, error: unknown): V => {
		if (!allowStale) throw error
		counters.staleServed++
		return value as V
	}

	return {
		get(key, load, getOptions) {
			const allowStale = getOptions?.allowStale ?? true
			const entry = entries.get(key)
			if (entry !== undefined) {
				const state = servable(entry, getOptions?.maxAgeMs)
				if (state === 'fresh') {
					recencyOf(entry).touch(entry)
					if (entry.notFound !== undefined) {
						counters.negativeHits++
						return Promise.reject(entry.notFound)
					}
					counters.hits++
					return Promise.resolve(entry.value as V)
				}
				if (isBackingOff(entry, clock())) {
					counters.misses++
					if (state !== 'stale' || !allowStale) return Promise.reject(entry.failure)
					recencyOf(entry).touch(entry)
					counters.staleServed++
					return Promise.resolve(entry.value as V)
				}
				if (getOptions?.refreshInBackground && allowStale && isUsableStale(entry, clock())) {
					counters.misses++
					counters.staleServed++
					recencyOf(entry).touch(entry)
					// Its failure is recorded by the load itself (backoff, stale kept); nobody awaits it.
					if (!inflight.has(key)) {
						const start = () => startLoad(key, load)
						const { startRefresh } = getOptions
						;(startRefresh === undefined ? start() : startRefresh(start)).catch(ignore)
					}
					return Promise.resolve(entry.value as V)
				}
			}
			counters.misses++
			return (inflight.get(key)?.outcome ?? startLoad(key, load)).then((outcome) =>
				outcome.stale ? serveStale(outcome.value, allowStale, outcome.error) : outcome.value,
			)
		},
		lookup(key) {
			const entry = entries.get(key)
			const state = entry === undefined ? undefined : servable(entry)
			if (entry === undefined || state === undefined || entry.notFound !== undefined) {
				counters.misses++
				return undefined
			}
			recencyOf(entry).touch(entry)
			if (state === 'fresh') counters.hits++
			else {
				// A stale value is no hit: a miss, as `get` counts the same answer, so that every
				// lookup counts a hit or a miss and the hit ratio of the warm path holds.
				counters.misses++
				counters.staleServed++
			}
			return entry.value
		},
		peek(key) {
			const entry = entries.get(key)
			return entry !== undefined && entry.notFound === undefined && servable(entry) !== undefined
				? entry.value
				: undefined
		},
		set(key, value, setOptions) {
			const flight = inflight.get(key)
			if (flight !== undefined) {
				let replaced = replacedLoads.get(key)
				if (replaced === undefined) {
					replaced = { pending: 0, forgotten: false }
					replacedLoads.set(key, replaced)
					// Bounded like the keys themselves: loads that never settle on ever new keys must not
					// grow this without end. The oldest is given up as forgotten (its failure then records
					// nothing), never kept without a way for `delete` to reach it.
					if (replacedLoads.size > maxEntries + maxNegativeEntries) {
						const [oldestKey, oldest] = replacedLoads.entries().next().value as [string, Replaced]
						oldest.forgotten = true
						replacedLoads.delete(oldestKey)
					}
				}
				replaced.pending++
				flight.replaced = replaced
				inflight.delete(key)
			}
			const previous = entries.get(key)
			store(key, value, undefined, setOptions?.ttlMs ?? ttlMs, staleIfErrorMs)
			// A value stored meanwhile does not undo a failed load's backoff: should it expire
			// first, it is served stale until then rather than a load starting at once.
			const at = clock()
			if (previous !== undefined && isBackingOff(previous, at))
				recordFailure(key, previous.failure, previous.failedAt)
		},
		delete(key) {
			inflight.delete(key)
			const replaced = replacedLoads.get(key)
			if (replaced !== undefined) replaced.forgotten = true
			replacedLoads.delete(key)
			const entry = entries.get(key)
			if (entry === undefined) return false
			remove(entry)
			return true
		},
		clear() {
			inflight.clear()
			for (const replaced of replacedLoads.values()) replaced.forgotten = true
			replacedLoads.clear()
			entries.clear()
			withValue.clear()
			withoutValue.clear()
		},
		get size() {
			return entries.size
		},
		stats() {
			return { ...counters }
		},
	}
}
