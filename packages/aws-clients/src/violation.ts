import type { TenantViolation, ViolationReporter } from '@tenantry/util'

/** Why the DynamoDB tenant guard refused a request. */
export type DynamoKeyViolationCode =
	| 'dynamodb_cross_tenant_key'
	| 'dynamodb_key_condition_unproven'
	| 'dynamodb_scan_refused'
	| 'dynamodb_command_refused'

/** Why a request sent through a tenant's client was refused. */
export type GuardViolationCode = DynamoKeyViolationCode | 'client_of_another_tenant'

/**
 * A request the DynamoDB tenant guard refused. `source` is `dynamodb:<Operation>`;
 * `claimedTenant` is the tenant id read from a `TENANT#<id>#…` key when it has that form
 * (never the key itself).
 */
export interface DynamoKeyViolation extends TenantViolation<DynamoKeyViolationCode> {
	tenant: string
}

/**
 * A tenant's client used while a request of another tenant, or of none, was served: kept past
 * the request it was read in. `tenant` is the serving request's tenant, `claimedTenant` the
 * client's; `source` is `<service>:<Operation>`, e.g. `dynamodb:GetItem`.
 */
export interface ForeignClientViolation extends TenantViolation<'client_of_another_tenant'> {
	claimedTenant: string
}

/** One refused request, in the shape tenant isolation reports. */
export type GuardViolation = DynamoKeyViolation | ForeignClientViolation

export type GuardViolationReporter = ViolationReporter<GuardViolation>
