import {
	assertKnownKeys,
	assertOption,
	createTickClock,
	isNonNegativeNumber,
	isPlainObject,
	isPositiveInteger,
	withoutUndefined,
} from '@tenantry/util'

export const packageName = '@tenantry/cache'

export interface TtlCacheOptions {
	/**
	 * How long a loaded value is served without calling the loader again. `Infinity` makes a
	 * bounded LRU map: values never expire by time and freshness checks skip the clock.
	 */
	ttlMs: number
	/** After `ttlMs`, how much longer a value may still be served when a refresh fails. Default 0. */
	staleIfErrorMs?: number | undefined
	/** How long a loader's {@link NotFoundError} is remembered. Default 0 (not remembered). */
	negativeTtlMs?: number | undefined
	/**
	 * After a load fails, how long no new load starts for that key: callers get the old value
	 * (within `staleIfErrorMs`) or the same error at once instead of each waiting on a failing
	 * dependency. Default 0 (every `get` after a failure tries again).
	 */
	failureBackoffMs?: number | undefined
	/** Upper bound on keys holding a value; the least recently used goes first. Default 1000. */
	maxEntries?: number | undefined
	/**
	 * Upper bound on keys remembered without a value (not found, or failed while backing off),
	 * kept apart from `maxEntries` so unknown keys never evict known ones. Default: `maxEntries`.
	 */
	maxNegativeEntries?: number | undefined
	/**
	 * Clock in milliseconds, injectable for tests; called on every check. Default: `Date.now()`,
	 * read once per synchronous run (see `createTickClock`).
	 */
	now?: (() => number) | undefined
}

/** Every option but the required `ttlMs`; `undefined`: computed (`maxEntries`, `Date.now()`). */
export const defaults = {
	staleIfErrorMs: 0,
	negativeTtlMs: 0,
	failureBackoffMs: 0,
	maxEntries: 1000,
	maxNegativeEntries: undefined,
	now: undefined,
} as const satisfies Omit<Required<TtlCacheOptions>, 'ttlMs' | 'now' | 'maxNegativeEntries'> & {
	maxNegativeEntries: undefined
	now: undefined
}

const knownOptions = [
	'ttlMs',
	'staleIfErrorMs',
	'negativeTtlMs',
	'failureBackoffMs',
	'maxEntries',
	'maxNegativeEntries',
	'now',
] as const

export const resolveOptions = (options: TtlCacheOptions): Required<TtlCacheOptions> => {
	assertOption(isPlainObject(options), packageName, 'options', 'must be an object')
	assertKnownKeys(packageName, '', options as unknown as Record<string, unknown>, knownOptions)
	const resolved = {
		...defaults,
		...withoutUndefined(options),
		maxNegativeEntries: options.maxNegativeEntries ?? options.maxEntries ?? defaults.maxEntries,
		now: options.now ?? createTickClock(),
	}
	assertOption(
		typeof resolved.ttlMs === 'number' && resolved.ttlMs > 0,
		packageName,
		'ttlMs',
		'must be a positive number of milliseconds (or Infinity)',
	)
	assertOption(
		isNonNegativeNumber(resolved.staleIfErrorMs),
		packageName,
		'staleIfErrorMs',
		'must be a non-negative number of milliseconds',
	)
	assertOption(
		isNonNegativeNumber(resolved.negativeTtlMs),
		packageName,
		'negativeTtlMs',
		'must be a non-negative number of milliseconds',
	)
	assertOption(
		isNonNegativeNumber(resolved.failureBackoffMs),
		packageName,
		'failureBackoffMs',
		'must be a non-negative number of milliseconds',
	)
	assertOption(
		isPositiveInteger(resolved.maxEntries),
		packageName,
		'maxEntries',
		'must be a positive integer',
	)
	assertOption(
		isPositiveInteger(resolved.maxNegativeEntries),
		packageName,
		'maxNegativeEntries',
		'must be a positive integer',
	)
	assertOption(typeof resolved.now === 'function', packageName, 'now', 'must be a function')
	return resolved
}
