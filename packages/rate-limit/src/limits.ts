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

/** Tenants whose lookups are followed at once (running, or timed out and not answered yet). */
const maxTenantsWaitedFor = 10_000

/** A tenant's lookups that may still answer. */
interface TenantLookups {
	/** Lookups running (before their answer or timeout). */
	running: number
	/** Lookups that timed out and have not answered yet. */
	outstanding: number
	/** The newest lookup whose plan was stored. */
	newest: number
	/** How many late plans were stored. */
	lateStored: number
}

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
	// Numbers lookups in the order they start, so that a late answer never replaces a newer one.
	let lookups = 0
	const lookupsOf = new Map<string, TenantLookups>()
	const enter = (tenantId: string): TenantLookups => {
		let record = lookupsOf.get(tenantId)
		if (record === undefined) {
			if (lookupsOf.size >= maxTenantsWaitedFor) {
				// Its late answers are then dropped: a plan is never kept without knowing it is the newest.
				const first = lookupsOf.keys().next()
				if (!first.done) lookupsOf.delete(first.value)
			}
			record = { running: 0, outstanding: 0, newest: 0, lateStored: 0 }
			lookupsOf.set(tenantId, record)
		}
		record.running++
		return record
	}
	const leave = (tenantId: string, record: TenantLookups): void => {
		if (record.running === 0 && record.outstanding === 0 && lookupsOf.get(tenantId) === record)
			lookupsOf.delete(tenantId)
	}
	/**
	 * A plan that arrives after `timeoutMs` is still the table's answer: kept, so that a table
	 * slower than the timeout (but answering) still limits, instead of every lookup timing out
	 * and its answer being thrown away; unless a newer lookup's plan was stored meanwhile, even
	 * one since expired or evicted. An invalid one is left to the next lookup to report.
	 */
	const settleLate = (
		tenantId: string,
		record: TenantLookups,
		lookup: number,
		late: RateLimit | undefined,
	): void => {
		record.outstanding--
		if (late !== undefined && record.newest < lookup && lookupsOf.get(tenantId) === record) {
			let plan: RateLimit | undefined
			try {
				plan = assertRateLimit(late, 'limits(tenantId)')
			} catch {
				plan = undefined
			}
			if (plan !== undefined) {
				record.newest = lookup
				record.lateStored++
				plans.set(tenantId, plan)
			}
		}
		leave(tenantId, record)
	}
	const load = async (tenantId: string) => {
		const lookup = ++lookups
		const record = enter(tenantId)
		const lateStored = record.lateStored
		try {
			const planned = limits(tenantId)
			const plan = validated(
				isPromiseLike(planned)
					? await settledWithin(
							planned,
							timeoutMs,
							() => {
								record.outstanding++
								return new RateLimitPlanTimeoutError(timeoutMs)
							},
							(late) => settleLate(tenantId, record, lookup, late),
							() => settleLate(tenantId, record, lookup, undefined),
						)
					: planned,
			)
			// A newer lookup's plan is stored: this one only answers its own callers (the cache no
			// longer waits for it).
			if (record.newest > lookup) return plan
			record.newest = lookup
			// An older lookup's late plan stored meanwhile took this load's place in the cache: this
			// newer plan replaces it.
			if (record.lateStored !== lateStored) plans.set(tenantId, plan)
			return plan
		} finally {
			record.running--
			leave(tenantId, record)
		}
	}
	return (tenantId) => plans.lookup(tenantId) ?? plans.get(tenantId, load)
}
