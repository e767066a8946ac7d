import {
	AudienceMismatchError,
	InvalidClaimError,
	IssuedInFutureError,
	MissingClaimError,
	TokenExpiredError,
	TokenNotYetValidError,
	TokenTooOldError,
} from './errors.js'

export type Claims = Readonly<Record<string, unknown>>

export interface TimeRules {
	readonly toleranceSec: number
	readonly maxTokenAgeSec: number | undefined
	readonly requireExp: boolean
}

/** Clock readings (ms) between which the token stays valid: what a cache hit re-checks. */
export interface ValidityWindow {
	readonly notBeforeMs: number
	readonly notAfterMs: number
}

const numericDate = (claims: Claims, name: 'exp' | 'nbf' | 'iat'): number | undefined => {
	const value = claims[name]
	if (value === undefined) return undefined
	if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidClaimError(name)
	return value
}

/**
 * Checks `exp` (required unless `requireExp: false`), `nbf`, `iat` not in the future and,
 * with `maxTokenAgeSec`, not too old; each with the clock tolerance.
 */
export const checkTimes = (claims: Claims, rules: TimeRules, nowSec: number): ValidityWindow => {
	const exp = numericDate(claims, 'exp')
	const nbf = numericDate(claims, 'nbf')
	const iat = numericDate(claims, 'iat')
	const tolerance = rules.toleranceSec
	let notAfter = Number.POSITIVE_INFINITY
	if (exp !== undefined) {
		notAfter = exp + tolerance
		if (nowSec >= notAfter) throw new TokenExpiredError()
	} else if (rules.requireExp) {
		throw new MissingClaimError('exp')
	}
	const notBefore = nbf === undefined ? Number.NEGATIVE_INFINITY : nbf - tolerance
	if (nowSec < notBefore) throw new TokenNotYetValidError()
	if (iat !== undefined && iat > nowSec + tolerance) throw new IssuedInFutureError()
	// A cache hit re-checks the window: it must start no earlier than iat allows, too.
	const notBeforeIat = iat === undefined ? Number.NEGATIVE_INFINITY : iat - tolerance
	if (rules.maxTokenAgeSec !== undefined) {
		if (iat === undefined) throw new MissingClaimError('iat')
		const tooOldAt = iat + rules.maxTokenAgeSec + tolerance
		if (nowSec >= tooOldAt) throw new TokenTooOldError()
		notAfter = Math.min(notAfter, tooOldAt)
	}
	return { notBeforeMs: Math.max(notBefore, notBeforeIat) * 1000, notAfterMs: notAfter * 1000 }
}

const isAudience = (aud: unknown): aud is string | readonly string[] =>
	typeof aud === 'string' || (Array.isArray(aud) && aud.every((value) => typeof value === 'string'))

/**
 * `aud` (a string or an array of strings) must name one of `audiences`. `null` skips the match,
 * not the type: `claims.aud` is typed for the handler either way.
 */
export const checkAudience = (claims: Claims, audiences: ReadonlySet<string> | null): void => {
	const { aud } = claims
	if (aud === undefined) {
		if (audiences === null) return
		throw new MissingClaimError('aud')
	}
	if (!isAudience(aud)) throw new InvalidClaimError('aud')
	if (audiences === null) return
	const named =
		typeof aud === 'string' ? audiences.has(aud) : aud.some((value) => audiences.has(value))
	if (!named) throw new AudienceMismatchError()
}

/** `jti` is a string (RFC 7519 section 4.1.7), as `claims.jti` is typed: a denylist keys on it. */
export const checkJti = (claims: Claims): void => {
	if (claims.jti !== undefined && typeof claims.jti !== 'string') throw new InvalidClaimError('jti')
}

export const checkRequiredClaims = (claims: Claims, required: readonly string[]): void => {
	for (const name of required) {
		if (!Object.hasOwn(claims, name) || claims[name] === null) throw new MissingClaimError(name)
	}
}

/** `sub` is what `context.auth.subject` carries: it must be a non-empty string. */
export const readSubject = (claims: Claims): string => {
	const { sub } = claims
	if (sub === undefined) throw new MissingClaimError('sub')
	if (typeof sub !== 'string' || sub === '') throw new InvalidClaimError('sub')
	return sub
}
