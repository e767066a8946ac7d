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
	/** The fresh value for `key`, if any. Synchronous; loads nothing, counts nothing. */
	peek(key: string): V | undefined
	/** Stores a value loaded elsewhere, e.g. from a synchronous verification. */
	set(key: string, value: V, options?: SetOptions): void
	delete(key: string): boolean
	clear(): void
	readonly size: number
	stats(): CacheStats
}

interface Entry<V> {
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
 * starts a timer and never refreshes idle keys: all work happens inside `get`.
 */
export const createTtlCache = <V>(options: TtlCacheOptions): TtlCache<V> => {
	const { ttlMs, staleIfErrorMs, negativeTtlMs, maxEntries, now } = resolveOptions(options)
	const entries = new Map<string, Entry<V>>()
	const inflight = new Map<string, Promise<LoadOutcome<V>>>()
	const counters = emptyStats()

	const store = (key: string, entry: Entry<V>): void => {
		entries.delete(key)
		entries.set(key, entry)
		if (entries.size > maxEntries) {
			const oldest = entries.keys().next().value as string
			entries.delete(oldest)
			counters.evictions++
		}
	}

	const storeValue = (key: string, value: V, lifetimeMs: number): void => {
		const loadedAt = now()
		const expiresAt = loadedAt + lifetimeMs
		store(key, {
			value,
			notFound: undefined,
			loadedAt,
			expiresAt,
			staleUntil: expiresAt + staleIfErrorMs,
		})
	}

	const storeNotFound = (key: string, notFound: NotFoundError): void => {
		if (negativeTtlMs === 0) {
			entries.delete(key)
			return
		}
		const loadedAt = now()
		const expiresAt = loadedAt + negativeTtlMs
		store(key, { value: undefined, notFound, loadedAt, expiresAt, staleUntil: expiresAt })
	}

	const isFresh = (entry: Entry<V>, at: number, maxAgeMs: number | undefined): boolean =>
		at < entry.expiresAt && (maxAgeMs === undefined || at - entry.loadedAt < maxAgeMs)

	const settle = async (key: string, load: Loader<V>): Promise<LoadOutcome<V>> => {
		try {
			const value = await load(key)
			storeValue(key, value, ttlMs)
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
			if (previous) entries.delete(key)
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
			const entry = entries.get(key)
			if (entry !== undefined && isFresh(entry, now(), getOptions?.maxAgeMs)) {
				entries.delete(key)
				entries.set(key, entry)
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
		peek(key) {
			const entry = entries.get(key)
			return entry !== undefined && entry.notFound === undefined && now() < entry.expiresAt
				? entry.value
				: undefined
		},
		set(key, value, setOptions) {
			storeValue(key, value, setOptions?.ttlMs ?? ttlMs)
		},
		delete(key) {
			return entries.delete(key)
		},
		clear() {
			entries.clear()
		},
		get size() {
			return entries.size
		},
		stats() {
			return { ...counters }
		},
	}
}
