import { isValidTenantId } from '@tenantry/util'
import type { Claims } from './claims.js'
import { ConflictingTenantClaimsError, InvalidTenantError, MissingTenantError } from './errors.js'

export interface TenantRules {
	/** Claim names that may carry the tenant id; all that are present must agree. */
	readonly claims: readonly string[]
	readonly pattern: RegExp
	readonly required: boolean
}

/**
 * The tenant id the token's tenant claims carry, validated against the (anchored) tenant id
 * pattern before anything uses it as a key. A present but invalid claim is refused even when a
 * tenant is optional, and so are claims that name different tenants: a token that is ambiguous
 * about its tenant has no right answer. (This does not make a user-writable claim safe: alone in
 * a token it is still taken, which is why the README says to list only claims users cannot write.)
 */
export const readTenant = (claims: Claims, rules: TenantRules): string | undefined => {
	let tenantId: string | undefined
	for (const name of rules.claims) {
		if (!Object.hasOwn(claims, name)) continue
		const value = claims[name]
		if (!isValidTenantId(value, rules.pattern)) throw new InvalidTenantError()
		if (tenantId === undefined) tenantId = value
		else if (value !== tenantId) throw new ConflictingTenantClaimsError(rules.claims)
	}
	if (tenantId === undefined && rules.required) throw new MissingTenantError()
	return tenantId
}
