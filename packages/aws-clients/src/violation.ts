import type { TenantViolation, ViolationReporter } from '@tenantry/util'

/** Why the DynamoDB tenant guard refused a request. */
export type GuardViolationCode =
	| 'dynamodb_cross_tenant_key'
	| 'dynamodb_key_condition_unproven'
	| 'dynamodb_scan_refused'
	| 'dynamodb_command_refused'

/**
 * One refused request, in the shape tenant isolation reports. `source` is
 * `dynamodb:<Operation>`; `claimedTenant` is the tenant id read from a `TENANT#<id>#…` key
 * when it has that form (never the key itself).
 */
export interface GuardViolation extends TenantViolation<GuardViolationCode> {
	tenant: string
}

export type GuardViolationReporter = ViolationReporter<GuardViolation>
