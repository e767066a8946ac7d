import { failureName } from './failure-name.js'

/**
 * One refused cross-tenant attempt, as every Tenantry `onViolation` receives it (tenant
 * isolation, the DynamoDB tenant guard). It carries identifiers only: never a token, a
 * secret, a key, an item, a header value other than the tenant named, or a body.
 */
export interface TenantViolation<TCode extends string = string> {
	/** Why the request was refused; the `code` of the reason passed as the 403's `cause`. */
	code: TCode
	/** The request's tenant; `undefined` when none could be established. */
	tenant: string | undefined
	/** The tenant the request named instead, clipped to 128 characters. */
	claimedTenant: string | undefined
	/** Where `claimedTenant` came from, e.g. `pathParameter`, `httpJwtAuthorizer`, `dynamodb:GetItem`. */
	source: string
	requestId: string | undefined
	path: string | undefined
	method: string | undefined
}

export type ViolationReporter<V extends TenantViolation = TenantViolation> = (
	violation: V,
) => void | Promise<void>

const maxLength = 128

/** Bounds attacker-chosen text before it reaches a log line. */
export const clip = (value: unknown): string | undefined => {
	if (value === undefined || value === null) return undefined
	if (typeof value === 'string')
		return value.length > maxLength ? `${value.slice(0, maxLength)}…` : value
	if (typeof value === 'number' || typeof value === 'boolean') return String(value)
	return `[${Array.isArray(value) ? 'array' : typeof value}]`
}

/** The default `onViolation`: one JSON line on stderr, so log filters and alarms can match it. */
export const logViolation: ViolationReporter = (violation) => {
	console.warn(
		JSON.stringify({ level: 'WARN', message: 'tenant isolation violation', ...violation }),
	)
}

const reporterFailed = (error: unknown): void => {
	console.error(
		JSON.stringify({ level: 'ERROR', message: 'onViolation failed', error: failureName(error) }),
	)
}

/**
 * Calls the reporter without letting it change the answer: a throwing or rejecting
 * reporter must not turn a 403 into a 500.
 */
export const reportViolation = <V extends TenantViolation>(
	reporter: ViolationReporter<V>,
	violation: V,
): void => {
	try {
		const pending = reporter(violation)
		if (pending && typeof pending.then === 'function') pending.then(undefined, reporterFailed)
	} catch (error) {
		reporterFailed(error)
	}
}
