import { forbidden, misconfigured, type TenantContext, type WithTenant } from '@tenantry/util'
import { packageName, TenantAccessDeniedError } from './errors.js'
import { clip, report, type ViolationReporter } from './violation.js'

interface RequestFacts {
	reporter: ViolationReporter
	requestId: string | undefined
	path: string | undefined
	method: string | undefined
}

/**
 * The `onViolation` and request facts of the request each `context.tenant` was made for.
 * Keyed by the per-request tenant object, so nothing extra is put on `context` and an
 * entry goes away with its request.
 */
const requests = new WeakMap<TenantContext, RequestFacts>()

export const rememberReporter = (
	tenant: TenantContext,
	reporter: ViolationReporter,
	facts: Omit<RequestFacts, 'reporter'>,
): void => {
	requests.set(tenant, { reporter, ...facts })
}

/**
 * For handler code that loaded a resource and must check its owner: throws a 403 unless
 * `resourceTenantId` is the request's tenant. The refusal goes to the `onViolation` of the
 * `tenantIsolation()` that set `context.tenant`.
 */
export const assertTenantAccess = (
	context: Partial<WithTenant> | null | undefined,
	resourceTenantId: unknown,
): void => {
	const tenant = context?.tenant
	if (tenant === undefined) {
		throw misconfigured(
			`${packageName}: assertTenantAccess needs context.tenant; use tenantIsolation() before the handler`,
		)
	}
	if (resourceTenantId === tenant.id) return
	const facts = requests.get(tenant)
	if (facts) {
		report(facts.reporter, {
			code: 'tenant_access_denied',
			tenant: tenant.id,
			claimedTenant: clip(resourceTenantId),
			source: 'resource',
			requestId: facts.requestId,
			path: facts.path,
			method: facts.method,
		})
	}
	throw forbidden(new TenantAccessDeniedError())
}
