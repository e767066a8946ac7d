import type { ViolationReporter as Reporter, TenantViolation as Violation } from '@tenantry/util'

/** Why tenant isolation refused a request. */
export type TenantViolationCode =
	| 'tenant_id_invalid'
	| 'tenant_sources_disagree'
	| 'tenant_mismatch'
	| 'tenant_reference_missing'
	| 'tenant_access_denied'

/** One refused cross-tenant attempt; `source` is a tenant source, a match location or `resource`. */
export type TenantViolation = Violation<TenantViolationCode>

export type ViolationReporter = Reporter<TenantViolation>
