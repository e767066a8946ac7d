import { failureName } from './failure-name.js'
import { clip } from './tenant-violation.js'
import { TenantryError } from './tenantry-error.js'

/** The facts of one refused request, every value a string, a number or a boolean. */
export type RefusalFacts = Record<string, string | number | boolean>

/** Fields of an error that say nothing the other fields do not, or are not the reason's own. */
const skipped = new Set(['name', 'stack', 'message', 'cause'])

/**
 * One refused request (a 4xx), as the facts a log line needs: the status, the error's name, and
 * for a Tenantry reason its `code`, `package`, message and own fields (`tenantId`, `skewSec`,
 * `refetched`, ...), which by design never hold a token, a signature, a secret or a body. Of any
 * other cause only its `package`: a stock middleware's may hold the body. `undefined` for
 * anything else (a 5xx, a value that is not an HTTP error), whose stack is worth its lines.
 */
export const describeRefusal = (error: unknown): RefusalFacts | undefined => {
	if (!(error instanceof Error)) return undefined
	const { statusCode, expose, cause } = error as Error & {
		statusCode?: unknown
		expose?: unknown
		cause?: unknown
	}
	if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined
	const facts: RefusalFacts = { status: statusCode, error: failureName(error) }
	// Only what the client was shown: an unexposed message may not have been meant for a log.
	if (expose === true && typeof error.message === 'string') facts.answer = clip(error.message) ?? ''
	if (cause instanceof TenantryError) {
		facts.code = cause.code
		facts.package = cause.package
		facts.reason = clip(cause.message) ?? ''
		for (const [name, value] of Object.entries(cause)) {
			if (skipped.has(name) || name in facts) continue
			if (typeof value === 'string') facts[name] = clip(value) ?? ''
			else if (typeof value === 'number' || typeof value === 'boolean') facts[name] = value
		}
		if (cause.cause !== undefined) facts.causeName = failureName(cause.cause)
	} else {
		const source = (cause as { package?: unknown } | null | undefined)?.package
		if (typeof source === 'string') facts.package = clip(source) ?? ''
	}
	return facts
}

/**
 * A `logger` for `@middy/http-error-handler`: a refused request (4xx) is one JSON line of
 * {@link describeRefusal}'s facts, so a flood of 401s costs a line each and Logs Insights reads
 * `code` and `tenantId` as fields; anything else is logged whole, stack and causes, as the
 * handler's default `console.error` does. Both go to `console.error`, where they went before.
 */
export const logHttpError = (error: unknown): void => {
	let facts: RefusalFacts | undefined
	try {
		facts = describeRefusal(error)
	} catch {
		// A getter that throws on a foreign error: logged whole below, never a second failure.
	}
	if (facts === undefined) console.error(error)
	else console.error(JSON.stringify({ level: 'WARN', message: 'request refused', ...facts }))
}
