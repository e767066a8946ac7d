import { createTtlCache } from '@tenantry/cache'
import { misconfigured } from '@tenantry/util'
import { assertRateLimit, type RateLimit, type TenantRateLimitOptions } from './options.js'
import { packageName } from './package-name.js'

/**
 * Turns the `limits` option into a per-tenant lookup. A static limit is returned as is; a
 * plan function is called once per tenant per `limitsCacheTtlMs` (single-flight), and what
 * it returns is validated like an option: a plan that is not one is a configuration error
 * (500), never a reason to stop limiting.
 */
export const createLimitResolver = (
	limits: NonNullable<TenantRateLimitOptions['limits']>,
	cacheTtlMs: number,
	now: () => number,
): ((tenantId: string) => RateLimit | Promise<RateLimit>) => {
	if (typeof limits !== 'function') return () => limits
	const plans = createTtlCache<RateLimit>({ ttlMs: cacheTtlMs, maxEntries: 10_000, now })
	const load = async (tenantId: string) => {
		const plan = await limits(tenantId)
		try {
			return assertRateLimit(plan, 'limits(tenantId)')
		} catch (error) {
			throw misconfigured(`${packageName}: limits(tenantId) returned an invalid plan`, error)
		}
	}
	return (tenantId) => plans.lookup(tenantId) ?? plans.get(tenantId, load)
}
