import { createTtlCache } from '@tenantry/cache'
import { createTenantContext, type TenantContext } from '@tenantry/util'

/**
 * `context.tenant` values by tenant id. A tenant context is frozen and holds nothing about
 * the request, so one object per tenant serves every request of that tenant, and the
 * warm path does not pay for a new frozen object and closure each time.
 */
const contexts = createTtlCache<TenantContext>({ ttlMs: 3_600_000, maxEntries: 1_000 })

/** The shared tenant context for a validated tenant id. */
export const tenantContextFor = (tenantId: string): TenantContext => {
	let context = contexts.lookup(tenantId)
	if (context === undefined) {
		context = createTenantContext(tenantId)
		contexts.set(tenantId, context)
	}
	return context
}
