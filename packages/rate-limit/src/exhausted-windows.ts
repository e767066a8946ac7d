import type { RateLimit } from './options.js'

/** Tenants remembered at once; beyond it the one marked first is forgotten. */
const maxTenants = 10_000

export interface ExhaustedWindows {
	/**
	 * Whether this container saw the tenant's window exhausted under this plan. A remembered
	 * window that has ended, or a plan since replaced, is forgotten here, so the map empties
	 * again once floods end.
	 */
	has(tenantId: string, windowStart: number, plan: RateLimit): boolean
	mark(tenantId: string, windowStart: number, plan: RateLimit): void
}

/**
 * The window each tenant was last seen exhausted in, with the plan it was exhausted under.
 * Both are compared exactly (windows of other lengths may start at the same instant, and a
 * changed plan is a new object), so nothing needs to expire by time. A plain map rather than
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
		if (seen.windowStart === windowStart && seen.plan === plan) return true
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
