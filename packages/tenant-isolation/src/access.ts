import {
	clip,
	forbidden,
	type HttpEventLike,
	methodOf,
	misconfigured,
	pathOf,
	reportViolation,
	requestIdOf,
	type WithTenant,
} from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { packageName, TenantAccessDeniedError } from './errors.js'
import type { ViolationReporter } from './violation.js'

/**
 * Where `tenantIsolation()` leaves, on the Lambda context, what `assertTenantAccess` needs
 * to report a refusal: the `onViolation` in force and the request. A symbol, so it never
 * shows up in JSON or `Object.keys(context)`, and not enumerable: `console.log(context)`
 * (util.inspect) and spreads copy enumerable symbol keys, and the event holds the body and
 * the credentials.
 */
const requestSlot = Symbol('@tenantry/tenant-isolation request')

interface RequestRecord {
	reporter: ViolationReporter
	event: HttpEventLike
}

type WithRequestRecord = { [requestSlot]?: RequestRecord }

export const rememberRequest = (
	context: object,
	reporter: ViolationReporter,
	event: HttpEventLike,
): void => {
	Object.defineProperty(context, requestSlot, {
		value: { reporter, event },
		writable: true,
		configurable: true,
	})
}

/**
 * For handler code that loaded a resource and must check its owner: throws a 403 unless
 * `resourceTenantId` is the request's tenant. Pass the handler's `context`: the refusal
 * then goes to the `onViolation` of the `tenantIsolation()` that set `context.tenant`.
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
	const record = (context as WithRequestRecord)[requestSlot]
	if (record !== undefined) {
		reportViolation(record.reporter, {
			code: 'tenant_access_denied',
			tenant: tenant.id,
			claimedTenant: clip(resourceTenantId),
			source: 'resource',
			requestId: requestIdOf(record.event, context as Partial<Context>),
			path: clip(pathOf(record.event)),
			method: clip(methodOf(record.event)),
		})
	}
	throw forbidden(new TenantAccessDeniedError())
}
