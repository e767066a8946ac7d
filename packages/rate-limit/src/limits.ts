import { createTtlCache, isNotFound } from '@tenantry/cache'
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

/** Tenants whose lookups are followed at once (not settled yet, in time or not). */
const maxTenantsWaitedFor = 10_000

/** A tenant's lookups that may still answer. */
interface TenantLookups {
	/** Lookups started and not settled yet (answered or failed, in time or after the timeout). */
	pending: number
	/** Lookups still within `timeoutMs` (not settled, not timed out): their callers still wait. */
	running: number
	/** The newest lookup whose plan was stored. */
	newest: number
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
 * A lookup's failure as the plan cache must see it: a `NotFoundError` (say, from a plans table
 * the caller caches with `@tenantry/cache`) would be taken for an answer, dropping the last
 * known plan and the second's wait; it is a failed lookup like any other.
 */
const lookupFailure = (error: unknown): unknown =>
	isNotFound(error) ? new Error(`${packageName}: limits(tenantId) failed`, { cause: error }) : error

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
	// Numbers lookups in the order they start, so that an older answer never replaces a newer one.
	let lookups = 0
	const lookupsOf = new Map<string, TenantLookups>()
	/**
	 * The followed tenants none of whose lookups still runs (all timed out, some not answered
	 * yet): the only ones given up at the cap. Giving up a tenant whose lookup still runs could
	 * lose that lookup's in-time plan, when an older late plan detached its load from the cache.
	 */
	const idle = new Map<string, TenantLookups>()
	const enter = (tenantId: string): TenantLookups => {
		let record = lookupsOf.get(tenantId)
		if (record === undefined) {
			record = { pending: 0, running: 0, newest: 0 }
			if (lookupsOf.size >= maxTenantsWaitedFor) {
				// The given-up tenant's late answers are then dropped: a plan is never stored here
				// without knowing it is the newest.
				const first = idle.keys().next()
				if (!first.done) {
					lookupsOf.delete(first.value)
					idle.delete(first.value)
				}
			}
			// With every followed tenant's lookup still running, this one is not followed: nothing
			// is stored here for it, and its in-time answers are stored by the cache's own load
			// (which, with nothing stored here, nothing detaches).
			if (lookupsOf.size < maxTenantsWaitedFor) lookupsOf.set(tenantId, record)
		} else idle.delete(tenantId)
		record.pending++
		record.running++
		return record
	}
	/** A lookup's callers stopped waiting for it (it settled or timed out). */
	const ran = (tenantId: string, record: TenantLookups): void => {
		record.running--
		if (record.running === 0 && record.pending > 0 && lookupsOf.get(tenantId) === record)
			idle.set(tenantId, record)
	}
	const leave = (tenantId: string, record: TenantLookups): void => {
		record.pending--
		if (record.pending === 0 && lookupsOf.get(tenantId) === record) {
			lookupsOf.delete(tenantId)
			idle.delete(tenantId)
		}
	}
	/**
	 * Every plan a lookup answers, in time or after `timeoutMs`, is stored, unless a newer
	 * lookup's plan was stored meanwhile, even one since expired or evicted: a plan that arrives
	 * late is still the table's answer, so a table slower than the timeout (but answering) still
	 * limits. Stored here rather than by the cache's load, which a plan stored meanwhile detaches
	 * (then a second lookup can run, and either may answer first). An invalid one is left to the
	 * lookup's callers (in time) or to the next lookup (late) to report.
	 */
	const stored = (tenantId: string, record: TenantLookups, lookup: number, value: unknown) => {
		if (record.newest < lookup && lookupsOf.get(tenantId) === record) {
			let plan: RateLimit | undefined
			try {
				plan = assertRateLimit(value, 'limits(tenantId)')
			} catch {
				plan = undefined
			}
			if (plan !== undefined) {
				record.newest = lookup
				plans.set(tenantId, plan)
			}
		}
	}
	const answered = (tenantId: string, record: TenantLookups, lookup: number, value: unknown) => {
		stored(tenantId, record, lookup, value)
		leave(tenantId, record)
	}
	const load = async (tenantId: string): Promise<RateLimit> => {
		const lookup = ++lookups
		let answer: Promise<unknown> | undefined
		let planned: unknown
		try {
			planned = limits(tenantId)
			// Read within the try: a plan whose `then` cannot be read (a strict config proxy that
			// throws on unknown keys) fails the lookup like a throw, rather than escaping it.
			// Adopted once: a thenable that answers twice, or whose `then` throws, settles once.
			if (isPromiseLike(planned)) answer = Promise.resolve(planned)
		} catch (error) {
			throw lookupFailure(error)
		}
		if (answer === undefined) {
			// Answered at once, so never followed: following it would give up an idle tenant at the
			// cap (dropping its late plan) with never more than 10,000 tenants waited for. Without a
			// record the cache's own load stores it; with one, it is that tenant's newest plan.
			const record = lookupsOf.get(tenantId)
			if (record !== undefined) stored(tenantId, record, lookup, planned)
			return validated(planned)
		}
		const record = enter(tenantId)
		answer.then(
			(value) => answered(tenantId, record, lookup, value),
			() => leave(tenantId, record),
		)
		let value: unknown
		try {
			value = await settledWithin(answer, timeoutMs, () => new RateLimitPlanTimeoutError(timeoutMs))
		} catch (error) {
			throw lookupFailure(error)
		} finally {
			ran(tenantId, record)
		}
		return validated(value)
	}
	return (tenantId) => plans.lookup(tenantId) ?? plans.get(tenantId, load)
}
