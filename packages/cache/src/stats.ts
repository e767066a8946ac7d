export interface CacheStats {
	/** Fresh values served without loading. */
	hits: number
	/** `get` calls that found no fresh value (they joined a load or started one). */
	misses: number
	/** Loader calls. */
	loads: number
	/** Loader calls that failed with anything but {@link NotFoundError}. */
	loadErrors: number
	/** Callers served an old value because its refresh failed. */
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
