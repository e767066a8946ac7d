import type { RateLimit } from './options.js'

/** Tenants remembered at once; beyond it the one marked first is forgotten. */
const maxTenants = 10_000

export interface ExhaustedWindows {
	/**
	 * Whether this container saw the tenant's window exhausted under this plan. A remembered
	 * window that has ended, or a plan since replaced by a different one, is forgotten here, so the map empties
	 * again once floods end.
	 */
	has(tenantId: string, windowStart: number, plan: RateLimit): boolean
	mark(tenantId: string, windowStart: number, plan: RateLimit): void
}

/**
 * The window each tenant was last seen exhausted in, with the plan it was exhausted under.
 * Both are compared exactly (windows of other lengths may start at the same instant), the plan
 * by its values: a refreshed plan is a new object, and one equal to the old must not forget the
 * exhausted window (a throttled store would then be written again, and with 'allow' let the
 * rest of the window through). So nothing needs to expire by time. A plain map rather than
 * `@tenantry/cache`: every request asks, nearly always of an empty map, and the cache's
 * bookkeeping was a measurable share of a warm request. Forgetting a tenant only costs one
 * store call.
 */
export const createExhaustedWindows = (): ExhaustedWindows => {
	const tenants = new Map<string, { readonly windowStart: number; readonly plan: RateLimit }>()
	// Apart from `has`, which runs on every request and stays small enough for V8 to inline.
	const seenExhausted = (tenantId: string, windowStart: number, plan: RateLimit) => {
		const seen = tenants.get(tenantId)
		if (seen === undefined) return false
		if (
			seen.windowStart === windowStart &&
			(seen.plan === plan ||
				(seen.plan.requests === plan.requests && seen.plan.windowSec === plan.windowSec))
		)
			return true
		tenants.delete(tenantId)
		return false
	}
	return {
		has: (tenantId, windowStart, plan) =>
			tenants.size !== 0 && seenExhausted(tenantId, windowStart, plan),
		mark(tenantId, windowStart, plan) {
			if (tenants.size >= maxTenants && !tenants.has(tenantId)) {
				const first = tenants.keys().next()
				if (!first.done) tenants.delete(first.value)
			}
			tenants.set(tenantId, { windowStart, plan })
		},
	}
}
