import { createTtlCache } from '@tenantry/cache'
import { assertRateLimit, type RateLimit, type TenantRateLimitOptions } from './options.js'

/**
 * Turns the `limits` option into a per-tenant lookup. A static limit is returned as is; a
 * plan function is called once per tenant per `limitsCacheTtlMs` (single-flight), and what
 * it returns is validated like an option, so a broken plan fails loudly instead of
 * silently limiting nothing.
 */
export const createLimitResolver = (
	limits: NonNullable<TenantRateLimitOptions['limits']>,
	cacheTtlMs: number,
	now: () => number,
): ((tenantId: string) => RateLimit | Promise<RateLimit>) => {
	if (typeof limits !== 'function') return () => limits
	const plans = createTtlCache<RateLimit>({ ttlMs: cacheTtlMs, maxEntries: 10_000, now })
	const load = async (tenantId: string) =>
		assertRateLimit(await limits(tenantId), 'limits(tenantId)')
	return (tenantId) => plans.lookup(tenantId) ?? plans.get(tenantId, load)
}
