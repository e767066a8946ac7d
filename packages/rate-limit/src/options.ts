import {
	assertKnownKeys,
	assertOption,
	isPlainObject,
	isPositiveInteger,
	isTracerLike,
	longestTimerMs,
	type TracerLike,
	withoutUndefined,
} from '@tenantry/util'
import { packageName } from './package-name.js'
import type { RateLimitStore } from './store.js'

export interface RateLimit {
	/** Requests allowed per window; 0 refuses every request (a suspended tenant). */
	requests: number
	/** Fixed window length in seconds. */
	windowSec: number
}

export interface TenantRateLimitOptions {
	/** One limit for every tenant, or a plan per tenant (cached per container). */
	limits?: RateLimit | ((tenantId: string) => RateLimit | Promise<RateLimit>) | undefined
	/** Where counters live; `dynamoRateLimitStore` shares them across containers. */
	store: RateLimitStore
	/**
	 * The counter's name, needed when two limits of one window length count in one store or
	 * table (stacked, or per route in functions that share a table): without names they would
	 * count in one counter. Letters, digits, `_`, `.` and `-`, at most 64. Default none.
	 */
	name?: string | undefined
	/**
	 * When the store fails: `allow` (default) lets the request through, logging once per
	 * window, because rate limiting protects availability, it does not authenticate;
	 * `deny` answers 503.
	 */
	onStoreError?: 'allow' | 'deny' | undefined
	/** How long a per-tenant plan from `limits(tenantId)` is reused. Default 60,000 ms. */
	limitsCacheTtlMs?: number | undefined
	/**
	 * Longest wait for `limits(tenantId)`; then the lookup has failed (`onStoreError`, or the
	 * tenant's last known plan), so a plans table that does not answer never holds requests until
	 * the function times out. Default 2,000 ms; at most 2147483647 (a Node timer's longest).
	 */
	limitsTimeoutMs?: number | undefined
	/** Receives the one-line JSON warning about store failures. Default `console.warn`. */
	logger?: ((line: string) => void) | undefined
	tracer?: TracerLike | undefined
	/** Clock in epoch milliseconds, for tests. Default `Date.now()`. */
	now?: (() => number) | undefined
}

export const defaults = {
	limits: { requests: 100, windowSec: 60 },
	onStoreError: 'allow',
	limitsCacheTtlMs: 60_000,
	limitsTimeoutMs: 2_000,
	logger: (line: string) => console.warn(line),
	name: undefined,
	tracer: undefined,
	now: () => Date.now(),
} as const satisfies Omit<Required<TenantRateLimitOptions>, 'store' | 'name' | 'tracer'> & {
	name: undefined
	tracer: undefined
}

const knownOptions = [
	'limits',
	'store',
	'name',
	'onStoreError',
	'limitsCacheTtlMs',
	'limitsTimeoutMs',
	'logger',
	'tracer',
	'now',
] as const

export const assertRateLimit = (limit: unknown, option: string): RateLimit => {
	assertOption(isPlainObject(limit), packageName, option, 'must be { requests, windowSec }')
	assertOption(
		Number.isSafeInteger(limit.requests) && (limit.requests as number) >= 0,
		packageName,
		`${option}.requests`,
		'must be a non-negative integer (0 refuses every request)',
	)
	assertOption(
		isPositiveInteger(limit.windowSec),
		packageName,
		`${option}.windowSec`,
		'must be a positive integer number of seconds',
	)
	return { requests: limit.requests as number, windowSec: limit.windowSec }
}

export type ResolvedOptions = Required<Omit<TenantRateLimitOptions, 'name' | 'tracer'>> & {
	name: string | undefined
	tracer: TracerLike | undefined
}

/** A key part: no `#` (the key separator) and nothing a table's key could mangle. */
const counterName = /^[\w.-]{1,64}$/

export const resolveOptions = (options: TenantRateLimitOptions): ResolvedOptions => {
	assertOption(isPlainObject(options), packageName, 'options', 'must be an object')
	assertKnownKeys(packageName, '', options as unknown as Record<string, unknown>, knownOptions)
	const resolved = { ...defaults, ...withoutUndefined(options) }
	assertOption(
		typeof resolved.store?.consume === 'function',
		packageName,
		'store',
		'must be a rate limit store (dynamoRateLimitStore or memoryRateLimitStore)',
	)
	assertOption(
		resolved.name === undefined ||
			(typeof resolved.name === 'string' && counterName.test(resolved.name)),
		packageName,
		'name',
		'must be 1–64 letters, digits, _, . or -',
	)
	// The validated copy: a limit the caller changes later must not bypass the checks above.
	if (typeof resolved.limits !== 'function') {
		// Only here, not for plans from limits(tenantId): a plans table's item carries its keys.
		// A key left unread (`name` put inside the limit) would make a limit other than the one
		// written.
		if (isPlainObject(resolved.limits))
			assertKnownKeys(packageName, 'limits', resolved.limits, ['requests', 'windowSec'])
		resolved.limits = assertRateLimit(resolved.limits, 'limits')
	}
	assertOption(
		resolved.onStoreError === 'allow' || resolved.onStoreError === 'deny',
		packageName,
		'onStoreError',
		"must be 'allow' or 'deny'",
	)
	assertOption(
		isPositiveInteger(resolved.limitsCacheTtlMs),
		packageName,
		'limitsCacheTtlMs',
		'must be a positive integer',
	)
	assertOption(
		isPositiveInteger(resolved.limitsTimeoutMs) && resolved.limitsTimeoutMs <= longestTimerMs,
		packageName,
		'limitsTimeoutMs',
		`must be a positive integer number of milliseconds, at most ${longestTimerMs}`,
	)
	assertOption(typeof resolved.logger === 'function', packageName, 'logger', 'must be a function')
	assertOption(
		resolved.tracer === undefined || isTracerLike(resolved.tracer),
		packageName,
		'tracer',
		'must be a Powertools Tracer',
	)
	assertOption(typeof resolved.now === 'function', packageName, 'now', 'must be a function')
	return resolved
}
