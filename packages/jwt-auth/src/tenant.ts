import { isValidTenantId } from '@tenantry/util'
import type { Claims } from './claims.js'
import { InvalidTenantError, MissingTenantError } from './errors.js'

export interface TenantRules {
	/** Claim names tried in order; the first one present decides. */
	readonly claims: readonly string[]
	readonly pattern: RegExp
	readonly required: boolean
}

/**
 * The tenant id from the first tenant claim the token carries, validated against the
 * (anchored) tenant id pattern before anything uses it as a key. A present but invalid
 * claim is refused even when a tenant is optional.
 */
export const readTenant = (claims: Claims, rules: TenantRules): string | undefined => {
	for (const name of rules.claims) {
		if (!Object.hasOwn(claims, name)) continue
		const value = claims[name]
		if (!isValidTenantId(value, rules.pattern)) throw new InvalidTenantError()
		return value
	}
	if (rules.required) throw new MissingTenantError()
	return undefined
}
