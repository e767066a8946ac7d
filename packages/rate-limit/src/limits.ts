import { createTtlCache } from '@tenantry/cache'
import { isPromiseLike, misconfigured } from '@tenantry/util'
import { settledWithin } from './deadline.js'
import { RateLimitPlanTimeoutError } from './errors.js'
import { assertRateLimit, type RateLimit } from './options.js'
import { packageName } from './package-name.js'

/**
 * How long a tenant's last known plan keeps being used while lookups fail: a plans table that
 * blips must not lift the limit of a tenant whose plan was known a minute ago.
 */
const planStaleIfErrorMs = 3_600_000

/**
 * After a failed lookup, how long a tenant's plan is not looked up again: meanwhile its last
 * known plan (or the failure, `onStoreError`) answers at once, so a plans table that does not
 * answer costs one wait per tenant per second, not one per request.
 */
const planFailureBackoffMs = 1_000

/**
 * The errors this module raises for a plan that is not one. Told apart by identity: a lookup
 * that fails, even with an HTTP error of its own, is a failed lookup (`onStoreError`).
 */
const invalidPlanErrors = new WeakSet<object>()

/** Whether `error` says `limits(tenantId)` returned an invalid plan (a 500, never "no limit"). */
export const isInvalidPlanError = (error: unknown): boolean =>
	typeof error === 'object' && error !== null && invalidPlanErrors.has(error)

/**
 * Turns a `limits` plan function into a per-tenant lookup. The function is called once per
 * tenant per `limitsCacheTtlMs` (single-flight), and what it returns is validated like an
 * option: a plan that is not one is a configuration error (500), never a reason to stop
 * limiting. A call that does not settle within `timeoutMs` has failed.
 */
export const createLimitResolver = (
	limits: (tenantId: string) => RateLimit | Promise<RateLimit>,
	cacheTtlMs: number,
	timeoutMs: number,
	now: () => number,
): ((tenantId: string) => RateLimit | Promise<RateLimit>) => {
	const plans = createTtlCache<RateLimit>({
		ttlMs: cacheTtlMs,
		staleIfErrorMs: planStaleIfErrorMs,
		failureBackoffMs: planFailureBackoffMs,
		maxEntries: 10_000,
		now,
	})
	const load = async (tenantId: string) => {
		const planned = limits(tenantId)
		const plan = isPromiseLike(planned)
			? await settledWithin(planned, timeoutMs, () => new RateLimitPlanTimeoutError(timeoutMs))
			: planned
		try {
			return assertRateLimit(plan, 'limits(tenantId)')
		} catch (error) {
			const invalid = misconfigured(
				`${packageName}: limits(tenantId) returned an invalid plan`,
				error,
			)
			invalidPlanErrors.add(invalid)
			throw invalid
		}
	}
	return (tenantId) => plans.lookup(tenantId) ?? plans.get(tenantId, load)
}
