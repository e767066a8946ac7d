import { HttpError } from './http-error.js'
import { DEFAULT_TENANT_ID_PATTERN } from './tenant-id.js'
import { clip } from './tenant-violation.js'

/**
 * What tenant isolation puts on `context.tenant`: the one tenant this request may touch,
 * and the key prefix that scopes its data. Downstream middlewares (tenant-scoped clients,
 * rate limiting) rely only on this shape.
 */
export interface TenantContext {
	readonly id: string
	/** `TENANT#<id>#`: every partition key of this tenant starts with it. */
	readonly keyPrefix: string
	/** `TENANT#<id>#<resourceType>#<resourceId>` */
	key(resourceType: string, resourceId: string): string
}

/** The context addition of tenant isolation. */
export interface WithTenant {
	tenant: TenantContext
}

const separator = '#'

/**
 * Thrown for a key part that would let one tenant's key run into another's. Key parts often
 * come from the request (`context.tenant.key('ITEM', event.pathParameters.itemId)`), so this
 * is a 400 that `@middy/http-error-handler` answers cleanly, not a 500.
 */
export class TenantKeyError extends HttpError {
	constructor(part: string, value: unknown) {
		super(400, undefined, {
			cause: { part, value: clip(value), rule: `a non-empty string without '${separator}'` },
		})
		this.name = 'TenantKeyError'
	}
}

const assertPart = (part: string, value: unknown): string => {
	if (typeof value !== 'string' || value.length === 0 || value.includes(separator))
		throw new TenantKeyError(part, value)
	return value
}

/**
 * `TENANT#<tenantId>#`, for a tenant id that passes the default tenant id rule. A string only:
 * `RegExp#test` reads anything as its text, so a claim that came as `["acme"]` would pass and
 * make a context `isValidatedTenantContext` vouches for with an id that is not a string.
 */
export const tenantKeyPrefix = (tenantId: string): string => {
	if (typeof tenantId !== 'string' || !DEFAULT_TENANT_ID_PATTERN.test(tenantId))
		throw new TenantKeyError('tenantId', tenantId)
	return `TENANT${separator}${tenantId}${separator}`
}

/** `TENANT#<tenantId>#<resourceType>#<resourceId>`; rejects `#` in any part. */
export const tenantKey = (tenantId: string, resourceType: string, resourceId: string): string =>
	`${tenantKeyPrefix(tenantId)}${assertPart('resourceType', resourceType)}${separator}${assertPart('resourceId', resourceId)}`

/** Builds the `context.tenant` value for an already validated tenant id. */
export const createTenantContext = (tenantId: string): TenantContext => {
	const keyPrefix = tenantKeyPrefix(tenantId)
	const context = Object.freeze({
		id: tenantId,
		keyPrefix,
		key: (resourceType: string, resourceId: string) =>
			tenantKey(tenantId, resourceType, resourceId),
	})
	validated.add(context)
	return context
}

/** Contexts built by `createTenantContext`, whose id has passed the tenant id rule. */
const validated = new WeakSet<object>()

/**
 * Whether `value` is a `TenantContext` built by `createTenantContext` (so its id is known to be
 * valid), as opposed to an object a custom middleware put on `context.tenant` by hand.
 */
export const isValidatedTenantContext = (value: unknown): value is TenantContext =>
	typeof value === 'object' && value !== null && validated.has(value)
