export interface CacheStats {
	/** Fresh values served without loading. */
	hits: number
	/**
	 * `get` and `lookup` calls that found no fresh value (a stale one served counts here too;
	 * `get` counts a remembered not-found in `negativeHits`).
	 */
	misses: number
	/** Loader calls. */
	loads: number
	/** Loader calls that failed with anything but {@link NotFoundError}. */
	loadErrors: number
	/**
	 * Callers served an expired value: its refresh failed or backs off, or (with
	 * `refreshInBackground`) a fresh one is still loading.
	 */
	staleServed: number
	/** Callers answered from a remembered {@link NotFoundError}. */
	negativeHits: number
	/** Entries dropped to stay within `maxEntries`. */
	evictions: number
}

export const emptyStats = (): CacheStats => ({
	hits: 0,
	misses: 0,
	loads: 0,
	loadErrors: 0,
	staleServed: 0,
	negativeHits: 0,
	evictions: 0,
})
