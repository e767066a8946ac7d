import { TenantryError, withoutRawExchange } from '@tenantry/util'
import { packageName } from './package-name.js'

/** The tenant used up its requests for the current window. */
export class RateLimitExceededError extends TenantryError {
	/** A field, as hmac-auth's and aws-clients' reasons name the tenant: logs filter on it. */
	readonly tenantId: string

	constructor(tenantId: string, limit: number, windowStart: number, checkedLocally: boolean) {
		super(
			packageName,
			'rate_limited',
			`tenant ${tenantId} exceeded ${limit} requests in the window starting ${new Date(windowStart).toISOString()}${checkedLocally ? ' (known locally)' : ''}`,
		)
		this.tenantId = tenantId
	}
}

/**
 * The counter store failed; what happens next depends on `onStoreError`. `cause` is the store's
 * error (an SDK error copied without its raw HTTP exchange, which holds the signed request).
 */
export class RateLimitStoreError extends TenantryError {
	constructor(cause: unknown) {
		super(packageName, 'rate_limit_store_unavailable', 'the rate limit store failed', {
			cause: withoutRawExchange(cause),
		})
	}
}

/** The caller's store answered something other than `{ allowed, count }`: a store failure. */
export class RateLimitStoreAnswerError extends TenantryError {
	constructor() {
		super(
			packageName,
			'rate_limit_store_answer_malformed',
			'the rate limit store answered something other than { allowed: boolean, count: number }',
		)
	}
}

/** `limits(tenantId)` did not settle within `limitsTimeoutMs`: a failed lookup (`onStoreError`). */
export class RateLimitPlanTimeoutError extends TenantryError {
	constructor(timeoutMs: number) {
		super(
			packageName,
			'rate_limit_plan_timeout',
			`limits(tenantId) did not settle within ${timeoutMs} ms`,
		)
	}
}
