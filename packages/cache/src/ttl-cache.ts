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
}

export interface SetOptions {
	/** Lifetime of this value instead of the cache's `ttlMs`, e.g. bounded by a token's `exp`. */
	ttlMs?: number
}

export interface TtlCache<V> {
	/** The fresh value for `key`, loading it (once for all concurrent callers) when needed. */
	get(key: string, load: Loader<V>, options?: GetOptions): Promise<V>
	/**
	 * The fresh value for `key`, if any, synchronously; counts a hit or miss and marks the
	 * key as recently used. For hot paths that compute values synchronously and `set` them.
	 */
	lookup(key: string): V | undefined
	/** The fresh value for `key`, if any. Counts nothing and leaves recency alone. */
	peek(key: string): V | undefined
	/** Stores a value computed elsewhere, e.g. by a synchronous verification. */
	set(key: string, value: V, options?: SetOptions): void
	delete(key: string): boolean
	clear(): void
	readonly size: number
	stats(): CacheStats
}

interface Entry<V> extends LruNode {
	value: V | undefined
	notFound: NotFoundError | undefined
	loadedAt: number
	expiresAt: number
	staleUntil: number
}

interface LoadOutcome<V> {
	value: V
	stale: boolean
}

/**
 * An in-memory, per-container cache for values that are expensive to fetch. It never
 * starts a timer and never refreshes idle keys: all work happens inside its calls.
 */
export const createTtlCache = <V>(options: TtlCacheOptions): TtlCache<V> => {
	const { ttlMs, staleIfErrorMs, negativeTtlMs, maxEntries, now } = resolveOptions(options)
	const entries = new Map<string, Entry<V>>()
	const recency = new LruList<Entry<V>>()
	const inflight = new Map<string, Promise<LoadOutcome<V>>>()
	const counters = emptyStats()

	const remove = (entry: Entry<V>): void => {
		entries.delete(entry.key)
		recency.remove(entry)
	}

	const store = (
		key: string,
		value: V | undefined,
		notFound: NotFoundError | undefined,
		lifetimeMs: number,
		staleMs: number,
	): void => {
		const previous = entries.get(key)
		if (previous) remove(previous)
		const loadedAt = now()
		const expiresAt = loadedAt + lifetimeMs
		const entry: Entry<V> = {
			key,
			value,
			notFound,
			loadedAt,
			expiresAt,
			staleUntil: expiresAt + staleMs,
			newer: undefined,
			older: undefined,
		}
		entries.set(key, entry)
		recency.pushNewest(entry)
		if (entries.size > maxEntries && recency.oldest) {
			remove(recency.oldest)
			counters.evictions++
		}
	}

	const storeNotFound = (key: string, notFound: NotFoundError): void => {
		if (negativeTtlMs > 0) {
			store(key, undefined, notFound, negativeTtlMs, 0)
			return
		}
		const previous = entries.get(key)
		if (previous) remove(previous)
	}

	const freshEntry = (key: string, maxAgeMs?: number): Entry<V> | undefined => {
		const entry = entries.get(key)
		if (entry === undefined) return undefined
		if (entry.expiresAt === Number.POSITIVE_INFINITY && maxAgeMs === undefined) return entry
		const at = now()
		return at < entry.expiresAt && (maxAgeMs === undefined || at - entry.loadedAt < maxAgeMs)
			? entry
			: undefined
	}

	const settle = async (key: string, load: Loader<V>): Promise<LoadOutcome<V>> => {
		try {
			const value = await load(key)
			store(key, value, undefined, ttlMs, staleIfErrorMs)
			return { value, stale: false }
		} catch (error) {
			if (isNotFound(error)) {
				storeNotFound(key, error)
				throw error
			}
			counters.loadErrors++
			const previous = entries.get(key)
			if (previous && previous.notFound === undefined && now() < previous.staleUntil) {
				return { value: previous.value as V, stale: true }
			}
			if (previous) remove(previous)
			throw error
		}
	}

	const startLoad = (key: string, load: Loader<V>): Promise<LoadOutcome<V>> => {
		counters.loads++
		// `finally` runs on a later tick, so even a loader that throws synchronously is
		// registered before it is removed.
		const loading = settle(key, load).finally(() => inflight.delete(key))
		inflight.set(key, loading)
		return loading
	}

	const unwrap = (outcome: LoadOutcome<V>): V => {
		if (outcome.stale) counters.staleServed++
		return outcome.value
	}

	return {
		get(key, load, getOptions) {
			const entry = freshEntry(key, getOptions?.maxAgeMs)
			if (entry !== undefined) {
				recency.touch(entry)
				if (entry.notFound !== undefined) {
					counters.negativeHits++
					return Promise.reject(entry.notFound)
				}
				counters.hits++
				return Promise.resolve(entry.value as V)
			}
			counters.misses++
			return (inflight.get(key) ?? startLoad(key, load)).then(unwrap)
		},
		lookup(key) {
			const entry = freshEntry(key)
			if (entry === undefined || entry.notFound !== undefined) {
				counters.misses++
				return undefined
			}
			recency.touch(entry)
			counters.hits++
			return entry.value
		},
		peek(key) {
			const entry = freshEntry(key)
			return entry?.notFound === undefined ? entry?.value : undefined
		},
		set(key, value, setOptions) {
			store(key, value, undefined, setOptions?.ttlMs ?? ttlMs, staleIfErrorMs)
		},
		delete(key) {
			const entry = entries.get(key)
			if (entry === undefined) return false
			remove(entry)
			return true
		},
		clear() {
			entries.clear()
			recency.clear()
		},
		get size() {
			return entries.size
		},
		stats() {
			return { ...counters }
		},
	}
}
