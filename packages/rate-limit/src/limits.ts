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
	const validated = (plan: unknown): RateLimit => {
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
	// Which lookup each cached plan came from, so that a late answer never replaces a newer one.
	let lookups = 0
	const lookupOf = new WeakMap<RateLimit, number>()
	/**
	 * A plan that arrives after `timeoutMs` is still the table's answer: kept, so that a table
	 * slower than the timeout (but answering) still limits, instead of every lookup timing out
	 * and its answer being thrown away. An invalid one is left to the next lookup to report.
	 */
	const keepLate = (tenantId: string, lookup: number) => (late: RateLimit) => {
		let plan: RateLimit
		try {
			plan = assertRateLimit(late, 'limits(tenantId)')
		} catch {
			return
		}
		const current = plans.peek(tenantId)
		if (current !== undefined && (lookupOf.get(current) ?? 0) > lookup) return
		lookupOf.set(plan, lookup)
		plans.set(tenantId, plan)
	}
	const load = async (tenantId: string) => {
		const lookup = ++lookups
		const planned = limits(tenantId)
		const plan = validated(
			isPromiseLike(planned)
				? await settledWithin(
						planned,
						timeoutMs,
						() => new RateLimitPlanTimeoutError(timeoutMs),
						keepLate(tenantId, lookup),
					)
				: planned,
		)
		lookupOf.set(plan, lookup)
		return plan
	}
	return (tenantId) => plans.lookup(tenantId) ?? plans.get(tenantId, load)
}
