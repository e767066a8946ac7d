import { TenantryError, withoutRawExchange } from '@tenantry/util'

export const packageName = '@tenantry/aws-clients'

/**
 * STS did not hand out the tenant's credentials (503). `cause` is the SDK error, without its
 * raw HTTP exchange. The tenant and the role are named (as hmac-auth names the tenant whose
 * secret is unavailable): the log must tell one tenant's refused session tags from STS failing
 * for all, and a role ARN mistyped in one function's environment.
 */
export class TenantCredentialsUnavailableError extends TenantryError {
	readonly tenantId: string | undefined
	readonly roleArn: string | undefined

	constructor(cause: unknown, tenantId?: string, roleArn?: string) {
		super(
			packageName,
			'tenant_credentials_unavailable',
			tenantId === undefined
				? 'AssumeRole for the tenant failed'
				: `AssumeRole for tenant '${tenantId}' failed`,
			{ cause: withoutRawExchange(cause) },
		)
		this.tenantId = tenantId
		this.roleArn = roleArn
	}
}

/** A guarded DynamoDB request names a partition key outside the tenant's prefix, or none (403). */
export class CrossTenantKeyError extends TenantryError {
	constructor(command: string) {
		super(
			packageName,
			'dynamodb_cross_tenant_key',
			`${command} names a partition key outside the tenant's prefix`,
		)
	}
}

/** A guarded Query whose key condition cannot be proven to pin the tenant's partition (403). */
export class UnprovenKeyConditionError extends TenantryError {
	constructor(reason: string) {
		super(packageName, 'dynamodb_key_condition_unproven', `Query refused: ${reason}`)
	}
}

/** `Scan` on a guarded client without `allowScan` (403): it reads every tenant's items. */
export class ScanRefusedError extends TenantryError {
	constructor() {
		super(packageName, 'dynamodb_scan_refused', 'Scan reads every tenant and is not allowed')
	}
}

/** A command the guard cannot check and `allowCommands` does not list (403). */
export class CommandRefusedError extends TenantryError {
	constructor(command: string) {
		super(packageName, 'dynamodb_command_refused', `${command} is not allowed on a guarded client`)
	}
}

/**
 * A tenant's client used while a request of another tenant, or of none, was served (403): the
 * client was kept past the request it was read in, or invocations overlap in one thread
 * without `concurrentInvocations`.
 */
export class ClientOfAnotherTenantError extends TenantryError {
	constructor(use: string) {
		super(
			packageName,
			'client_of_another_tenant',
			`${use} refused: the client was read in another tenant's request`,
		)
	}
}

/**
 * An AWS service a tenant's client called is unavailable (503): it answered 5xx, throttled
 * past the SDK's retries, timed out, was unreachable, or sent an answer that could not be
 * read. `cause` is the SDK's error, without its raw HTTP exchange.
 */
export class AwsServiceUnavailableError extends TenantryError {
	constructor(operation: string, cause: unknown) {
		super(
			packageName,
			'aws_service_unavailable',
			`${operation} failed: the service is unavailable`,
			{ cause: withoutRawExchange(cause) },
		)
	}
}
