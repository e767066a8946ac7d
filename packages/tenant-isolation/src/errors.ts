import { TenantryError } from '@tenantry/util'

export const packageName = '@tenantry/tenant-isolation'

/**
 * No source named a tenant: the request is not authenticated for any tenant (401). The message
 * names the likeliest misconfiguration, an authentication middleware `.use()`d after this one.
 */
export class TenantMissingError extends TenantryError {
	constructor() {
		super(
			packageName,
			'tenant_missing',
			'no source names a tenant for this request (authentication middlewares such as jwtAuth and hmacAuth go before tenantIsolation)',
		)
	}
}

/** A source named a tenant id that fails `tenantIdPattern` (403). */
export class TenantIdInvalidError extends TenantryError {
	constructor(source: string) {
		super(packageName, 'tenant_id_invalid', `source '${source}' names an invalid tenant id`)
	}
}

/** Two sources name different tenants (403). */
export class TenantSourcesDisagreeError extends TenantryError {
	constructor(source: string) {
		super(
			packageName,
			'tenant_sources_disagree',
			`source '${source}' names another tenant than the sources before it`,
		)
	}
}

/** The request names another tenant in its path, headers, query or body (403). */
export class TenantMismatchError extends TenantryError {
	constructor(location: string) {
		super(packageName, 'tenant_mismatch', `the request's ${location} names another tenant`)
	}
}

/** A `match.required` location names no tenant (403). */
export class TenantReferenceMissingError extends TenantryError {
	constructor(location: string) {
		super(packageName, 'tenant_reference_missing', `the request's ${location} names no tenant`)
	}
}

/** `assertTenantAccess`: the resource belongs to another tenant, or to none (403). */
export class TenantAccessDeniedError extends TenantryError {
	constructor() {
		super(packageName, 'tenant_access_denied', 'the resource belongs to another tenant')
	}
}
