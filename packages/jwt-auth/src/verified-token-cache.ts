import { createTtlCache } from '@tenantry/cache'
import type { ValidityWindow } from './claims.js'
import type { KeySet } from './key-set.js'
import type { JwtAuth } from './types.js'

const { hash } = process.getBuiltinModule('node:crypto')

/** The key set a token was verified with, and where the issuer's current one is read. */
export interface VerifiedWith {
	readonly keys: KeySet
	readonly current: () => KeySet | undefined
}

interface Verified extends ValidityWindow, VerifiedWith {
	readonly auth: JwtAuth
}

export interface VerifiedTokenCache {
	/** The cache key of a token: its SHA-256, so the cache never holds a usable token. */
	keyOf(token: string): string
	/**
	 * The verified result, if cached, still inside the token's validity window at `nowMs`, and
	 * verified with the keys its issuer uses now: a refreshed JWKS may have dropped the key (one
	 * that brought the same document keeps the same keys).
	 */
	find(key: string, nowMs: number): JwtAuth | undefined
	remember(
		key: string,
		auth: JwtAuth,
		window: ValidityWindow,
		verifiedWith: VerifiedWith,
		nowMs: number,
	): void
}

/**
 * Remembers successful verifications so a repeated token costs a hash and a lookup. An
 * entry lives at most until the token's `exp` (or its `maxTokenAgeSec` limit) and at most
 * `maxAgeMs`, and every hit re-checks the token's window (`nbf`/`exp` with tolerance), so
 * the cache can never accept a token that verification would refuse at that moment.
 */
export const createVerifiedTokenCache = (
	maxEntries: number,
	maxAgeMs: number,
	now: () => number,
): VerifiedTokenCache => {
	const cache = createTtlCache<Verified>({ ttlMs: maxAgeMs, maxEntries, now })
	return {
		keyOf: (token) => hash('sha256', token, 'base64url'),
		find(key, nowMs) {
			const hit = cache.lookup(key)
			if (hit === undefined) return undefined
			if (
				nowMs >= hit.notBeforeMs &&
				nowMs < hit.notAfterMs &&
				hit.current()?.byKid === hit.keys.byKid
			)
				return hit.auth
			cache.delete(key)
			return undefined
		},
		remember(key, auth, window, verifiedWith, nowMs) {
			const ttlMs = Math.min(maxAgeMs, window.notAfterMs - nowMs)
			if (ttlMs > 0) cache.set(key, { auth, ...window, ...verifiedWith }, { ttlMs })
		},
	}
}
