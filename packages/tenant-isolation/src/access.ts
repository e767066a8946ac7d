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
 * shows up in JSON or `Object.keys(context)`; enumerable, so that a copy of the context
 * (`{ ...context, logger }`) handed to a helper still reports its refusals. The event holds the
 * body and the credentials: the record keeps it in a private field and prints as nothing more
 * than its name, so `console.log(context)` (util.inspect) shows neither.
 */
const requestSlot = Symbol('@tenantry/tenant-isolation request')

class RequestRecord {
	readonly #reporter: ViolationReporter
	readonly #event: HttpEventLike
	constructor(reporter: ViolationReporter, event: HttpEventLike) {
		this.#reporter = reporter
		this.#event = event
	}
	get reporter(): ViolationReporter {
		return this.#reporter
	}
	get event(): HttpEventLike {
		return this.#event
	}
	[Symbol.for('nodejs.util.inspect.custom')](): string {
		return 'TenantIsolationRequest {}'
	}
}

type WithRequestRecord = { [requestSlot]?: RequestRecord }

export const rememberRequest = (
	context: object,
	reporter: ViolationReporter,
	event: HttpEventLike,
): void => {
	;(context as WithRequestRecord)[requestSlot] = new RequestRecord(reporter, event)
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
