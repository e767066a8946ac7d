import type { Claims } from './claims.js'
import { InvalidClaimError } from './errors.js'

const split = (value: string): string[] => value.split(' ').filter((scope) => scope !== '')

/** A scope claim: a space-separated string, or an array of strings. */
const scopesIn = (value: unknown, claim: 'scope' | 'scp'): string[] => {
	if (typeof value === 'string') return split(value)
	if (Array.isArray(value) && value.every((scope) => typeof scope === 'string')) return [...value]
	throw new InvalidClaimError(claim)
}

/**
 * The token's scopes: `scope` (RFC 8693/9068, space-separated; an array as Duende
 * IdentityServer sends it by default), else `scp` (an array, as Okta and Entra ID send it, or a
 * space-separated string). A claim of another type is a malformed token, not "no scopes".
 */
export const readScopes = (claims: Claims): string[] => {
	const { scope, scp } = claims
	if (scope !== undefined) return scopesIn(scope, 'scope')
	if (scp === undefined) return []
	return scopesIn(scp, 'scp')
}

export const hasScopes = (scopes: readonly string[], required: readonly string[]): boolean =>
	required.every((scope) => scopes.includes(scope))
