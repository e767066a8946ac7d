import { namesField } from './headers.js'

/** The parts of a middy request this middleware reads and writes. */
interface ResponseRequest {
	event: unknown
	response: unknown
}

type HeaderLines = Record<string, string[]>

/**
 * Whether the event came from an ALB target group with multi-value headers on: such a group
 * sends `multiValueHeaders` and no `headers`, and reads only `multiValueHeaders` back.
 */
const isMultiValueAlbEvent = (event: unknown): boolean => {
	if (typeof event !== 'object' || event === null) return false
	const { requestContext, multiValueHeaders, headers } = event as Record<string, unknown>
	return (
		typeof requestContext === 'object' &&
		requestContext !== null &&
		Object.hasOwn(requestContext, 'elb') &&
		typeof multiValueHeaders === 'object' &&
		multiValueHeaders !== null &&
		headers === undefined
	)
}

/** A single-value header as the lines of a multi-value one; `undefined` and `null` are no line. */
const linesOf = (value: unknown): string[] =>
	value === undefined || value === null
		? []
		: Array.isArray(value)
			? value.map(String)
			: [String(value)]

/**
 * The response's `headers` moved into `multiValueHeaders`. A name the response already has in
 * `multiValueHeaders`, in any letter case, keeps that entry, as API Gateway does for a name set
 * in both records.
 */
const mergedLines = (headers: Record<string, unknown>, multi: unknown): HeaderLines => {
	const lines: [string, string[]][] =
		typeof multi === 'object' && multi !== null ? Object.entries(multi as HeaderLines) : []
	const kept = lines.map(([key]) => key)
	for (const [name, value] of Object.entries(headers)) {
		const values = linesOf(value)
		if (values.length > 0 && !kept.some((key) => namesField(key, name))) lines.push([name, values])
	}
	// Built from entries, so a `__proto__` key is a field like any other.
	return Object.fromEntries(lines)
}

/**
 * Requests seen, as they arrived, from a multi-value target group. A later middleware may give
 * the event a `headers` record (so that body parsers find the content type), after which the
 * event alone no longer tells.
 */
const multiValueRequests = new WeakSet<object>()

const noteMultiValue = (request: ResponseRequest): void => {
	if (isMultiValueAlbEvent(request.event)) multiValueRequests.add(request)
}

const moveHeaders = (request: ResponseRequest): void => {
	const { response } = request
	if (
		typeof response !== 'object' ||
		response === null ||
		!(multiValueRequests.has(request) || isMultiValueAlbEvent(request.event))
	)
		return
	const { headers, ...rest } = response as Record<string, unknown>
	if (typeof headers !== 'object' || headers === null) return
	// A copy: the handler may return one response object for every request.
	request.response = {
		...rest,
		multiValueHeaders: mergedLines(headers as Record<string, unknown>, rest.multiValueHeaders),
	}
}

/**
 * Answers an ALB target group with multi-value headers on in the form it reads: the group
 * reads only `multiValueHeaders`, while `@middy/http-error-handler` and most handlers set
 * `headers`, so `WWW-Authenticate`, `Retry-After` and `RateLimit-*` would be lost. Every other
 * event passes untouched. Use it first, before `httpErrorHandler()`, so its `before` sees the
 * event as it arrived and its `after` and `onError` run last.
 */
export const albMultiValueHeaders = (): {
	before: (request: ResponseRequest) => void
	after: (request: ResponseRequest) => void
	onError: (request: ResponseRequest) => void
} => ({ before: noteMultiValue, after: moveHeaders, onError: moveHeaders })
