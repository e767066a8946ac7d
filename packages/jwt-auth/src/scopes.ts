import type { Claims } from './claims.js'
import { InvalidClaimError } from './errors.js'

const split = (value: string): string[] => value.split(' ').filter((scope) => scope !== '')

/**
 * The token's scopes: `scope` (RFC 8693/9068, space-separated), else `scp` (an array, as
 * Okta and Entra ID send it, or a space-separated string). A claim of another type is a
 * malformed token, not "no scopes".
 */
export const readScopes = (claims: Claims): string[] => {
	const { scope, scp } = claims
	if (scope !== undefined) {
		if (typeof scope !== 'string') throw new InvalidClaimError('scope')
		return split(scope)
	}
	if (scp === undefined) return []
	if (typeof scp === 'string') return split(scp)
	if (Array.isArray(scp) && scp.every((value) => typeof value === 'string')) return [...scp]
	throw new InvalidClaimError('scp')
}

export const hasScopes = (scopes: readonly string[], required: readonly string[]): boolean =>
	required.every((scope) => scopes.includes(scope))
