import type { KeyObject } from 'node:crypto'
import { createTtlCache, isNotFound } from '@tenantry/cache'
import { SecretFormatError } from './errors.js'
import type { Scheme } from './schemes/scheme.js'
import { noPrevious, type SecretSourceAdapter, type StoredSecrets } from './secret-source.js'

const { createSecretKey } = process.getBuiltinModule('node:crypto')

/** A tenant's HMAC keys, current first, ready for `createHmac`. */
export interface TenantKeys {
	readonly keys: readonly KeyObject[]
	readonly versionId: string | undefined
	/** Until then (epoch ms) an `AWSPREVIOUS` version may hold one more key. */
	readonly previousUntil: number
}

/**
 * A malformed secret is cached like a good one (as its error), so a broken tenant does not
 * cost a Secrets Manager call per request; a fix is picked up by the refetch after
 * `refetchGraceMs`.
 */
export type CachedKeys = TenantKeys | SecretFormatError

export interface SecretStoreOptions {
	source: SecretSourceAdapter
	scheme: Scheme
	ttlMs: number
	staleIfErrorMs: number
	maxEntries: number
	refetchGraceMs: number
	failureBackoffMs: number
	now: (() => number) | undefined
}

export interface SecretStore {
	/** The cached keys, synchronously, for the warm path. */
	lookup(tenantId: string): CachedKeys | undefined
	/** Loads once for all concurrent callers; `NotFoundError` for an unknown tenant. */
	get(tenantId: string): Promise<CachedKeys>
	/**
	 * Like `get`, but refetches (single-flight) when the cached value is older than the grace;
	 * a refetch that fails rejects rather than serve the cached value.
	 */
	refetch(tenantId: string): Promise<CachedKeys>
	/**
	 * Keys of the `AWSPREVIOUS` version (none when there is no such version), cached like the
	 * current, for the current version `versionId`: `AWSPREVIOUS` is relative to it, so keys read
	 * while an older version was current are never served (fresh or stale) once it was replaced,
	 * whichever way (a refetch or the TTL) the newer version was loaded.
	 */
	previous(tenantId: string, versionId: string | undefined): Promise<readonly KeyObject[]>
	/** Drops the previous keys cached for a current version a rotation made outdated. */
	forgetPrevious(tenantId: string, versionId: string | undefined): void
}

const noKeys: readonly KeyObject[] = []

/** The previous cache's key: the tenant (a validated id, no NUL) and the current version. */
const previousKey = (tenantId: string, versionId: string | undefined): string =>
	`${tenantId}\u0000${versionId ?? ''}`

export const createSecretStore = (options: SecretStoreOptions): SecretStore => {
	const { source, scheme, refetchGraceMs } = options
	const cacheOptions = {
		ttlMs: options.ttlMs,
		staleIfErrorMs: options.staleIfErrorMs,
		// A forged request for a known tenant fetches its secret again once it is older than the
		// grace (the refetch) or the TTL (the get), whichever is shorter: a "not found" is
		// remembered exactly that long, so that an unknown tenant costs the same round trips.
		// Remembered for less, it would cost a fetch per request (two at 0, the get's and the
		// refetch's); for longer than a TTL below the grace, fewer than a known tenant. Either
		// tells it apart.
		negativeTtlMs: Math.min(options.ttlMs, refetchGraceMs),
		maxEntries: options.maxEntries,
		failureBackoffMs: options.failureBackoffMs,
		// One lookup per request: a direct clock read is cheaper than the cache's per-tick clock,
		// which schedules a microtask to forget its reading.
		now: options.now ?? (() => Date.now()),
	}
	const current = createTtlCache<CachedKeys>(cacheOptions)
	const previous = createTtlCache<readonly KeyObject[]>(cacheOptions)

	const keyOf = (tenantId: string, secret: string): KeyObject => {
		const key = scheme.decodeSecret(secret)
		if (key === undefined) throw new SecretFormatError(tenantId, scheme.secretFormat)
		return createSecretKey(key)
	}

	const toKeys = (tenantId: string, stored: StoredSecrets): TenantKeys => ({
		keys: stored.secrets.map((secret) => keyOf(tenantId, secret)),
		versionId: stored.versionId,
		previousUntil: source.previous === undefined ? noPrevious : stored.previousUntil,
	})

	const loadCurrent = async (tenantId: string): Promise<CachedKeys> => {
		try {
			return toKeys(tenantId, await source.current(tenantId))
		} catch (error) {
			if (error instanceof SecretFormatError) return error
			throw error
		}
	}

	const loadPrevious = async (tenantId: string): Promise<readonly KeyObject[]> => {
		try {
			const secret = (await source.previous?.(tenantId)) ?? ''
			return [keyOf(tenantId, secret)]
		} catch (error) {
			// No previous version, or an unusable one: nothing more to try.
			if (isNotFound(error) || error instanceof SecretFormatError) return noKeys
			throw error
		}
	}

	return {
		lookup: (tenantId) => current.lookup(tenantId),
		get: (tenantId) => current.get(tenantId, loadCurrent),
		// No old value when the refetch fails: the caller could not check the current secret, so
		// its mismatch is an outage (503), not bad credentials.
		refetch: (tenantId) =>
			current.get(tenantId, loadCurrent, { maxAgeMs: refetchGraceMs, allowStale: false }),
		previous: (tenantId, versionId) =>
			previous.get(previousKey(tenantId, versionId), () => loadPrevious(tenantId)),
		forgetPrevious: (tenantId, versionId) => {
			previous.delete(previousKey(tenantId, versionId))
		},
	}
}
