import type { TenantViolation } from '../src/index.js'

/** A refusal as tenant isolation reports it, for the reporting tests. */
export const violation: TenantViolation = {
	code: 'tenant_mismatch',
	tenant: 'acme',
	claimedTenant: 'globex',
	source: 'pathParameter',
	requestId: 'r-1',
	path: '/x',
	method: 'GET',
}
