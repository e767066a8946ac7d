/** Why the DynamoDB tenant guard refused a request. */
export type GuardViolationCode =
	| 'dynamodb_cross_tenant_key'
	| 'dynamodb_key_condition_unproven'
	| 'dynamodb_scan_refused'
	| 'dynamodb_command_refused'

/**
 * One refused request, as `onViolation` receives it; the same shape as
 * `@tenantry/tenant-isolation` reports. Never carries a key, an item or a credential:
 * `claimedTenant` is the tenant id read from a `TENANT#<id>#…` key, when it has that form.
 */
export interface GuardViolation {
	code: GuardViolationCode
	tenant: string
	claimedTenant: string | undefined
	/** `dynamodb:<Operation>`, e.g. `dynamodb:GetItem`. */
	source: string
	requestId: string | undefined
	path: string | undefined
	method: string | undefined
}

export type GuardViolationReporter = (violation: GuardViolation) => void | Promise<void>

/** The default `onViolation`: one JSON line on stderr. */
export const logViolation: GuardViolationReporter = (violation) => {
	console.warn(
		JSON.stringify({ level: 'WARN', message: 'tenant isolation violation', ...violation }),
	)
}

const reporterFailed = (error: unknown): void => {
	console.error(
		JSON.stringify({
			level: 'ERROR',
			message: 'aws-clients onViolation failed',
			error: error instanceof Error ? error.name : typeof error,
		}),
	)
}

/** Calls the reporter without letting it change the answer. */
export const report = (reporter: GuardViolationReporter, violation: GuardViolation): void => {
	try {
		const pending = reporter(violation)
		if (pending && typeof pending.then === 'function') pending.then(undefined, reporterFailed)
	} catch (error) {
		reporterFailed(error)
	}
}
