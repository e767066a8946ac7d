/**
 * The rate limit fields a response carries, kept on it under a symbol (which JSON leaves out),
 * and on the middy request it was built for. A stacked limit finds the same fields object in
 * both only on a response built for its own request, so it never mistakes a handler's own
 * headers, or another request's, for its sibling's; and a response kept after its request
 * holds no reference to that request.
 */
const reported = Symbol('@tenantry/rate-limit reported')

type HeaderValue = string | number | boolean

type HttpResponse = {
	statusCode: number
	headers?: Record<string, HeaderValue>
	multiValueHeaders?: Record<string, HeaderValue[]>
	body?: unknown
	[reported]?: Record<string, string>
}

type ReportingRequest = { [reported]?: Record<string, string> }

/**
 * Whether `fields` bind more than `others`: fewer requests left, or as many for longer. When
 * limits are stacked (a burst limit and an hourly one), the response reports the one closest to
 * exhaustion, as the draft's example of several quota policies does.
 */
export const bindsMore = (
	fields: Record<string, string>,
	others: Record<string, string>,
): boolean => {
	const remaining = Number(fields['RateLimit-Remaining'])
	const othersRemaining = Number(others['RateLimit-Remaining'])
	return (
		remaining < othersRemaining ||
		(remaining === othersRemaining &&
			Number(fields['RateLimit-Reset']) > Number(others['RateLimit-Reset']))
	)
}

/** Our field names in lower case, and the range of their lengths. */
const ourNames = new Set([
	'ratelimit-limit',
	'ratelimit-remaining',
	'ratelimit-reset',
	'ratelimit-policy',
])
const shortestName = 15
const longestName = 19

/** Whether a handler's header is one of our fields under another spelling. */
const spellsOurField = (key: string, fields: Record<string, string>): boolean =>
	key.length >= shortestName &&
	key.length <= longestName &&
	!Object.hasOwn(fields, key) &&
	ourNames.has(key.toLowerCase())

/**
 * The handler's headers with ours set over them. A handler's own spelling of one of our fields
 * (`ratelimit-remaining`, as an upstream's `fetch` headers spell it) is left out: the response
 * would otherwise carry the field twice, with two counts.
 */
export const mergedHeaders = (
	headers: Record<string, HeaderValue>,
	fields: Record<string, string>,
): Record<string, HeaderValue> => {
	for (const key in headers) {
		if (spellsOurField(key, fields))
			return Object.assign(withoutOtherSpellings(headers, fields), fields)
	}
	return { ...headers, ...fields }
}

/** A copy of a header record without our fields under other spellings. */
const withoutOtherSpellings = <T>(
	record: Record<string, T>,
	fields: Record<string, string>,
): Record<string, T> =>
	Object.fromEntries(Object.entries(record).filter(([key]) => !spellsOurField(key, fields)))

/**
 * The response's multi-value headers (REST APIs, ALB) with our fields in them too: API Gateway
 * sends only the multi-value entry of a name set in both records, and an ALB target group with
 * multi-value headers reads nothing else. Other spellings of our fields are left out here too.
 */
const addToMultiValueHeaders = (response: HttpResponse, fields: Record<string, string>): void => {
	const multi = response.multiValueHeaders
	if (typeof multi !== 'object' || multi === null) return
	const merged = withoutOtherSpellings(multi, fields)
	for (const [name, value] of Object.entries(fields)) merged[name] = [value]
	response.multiValueHeaders = merged
}

/** A Node.js readable or a web stream, as middy's streaming mode tells them apart. */
const isStream = (value: unknown): boolean =>
	typeof value === 'object' &&
	value !== null &&
	('_readableState' in value || value instanceof ReadableStream)

/**
 * The handler's response with the rate limit fields added. The handler's objects are copied,
 * never changed: a handler may return one response or headers object for every request (a
 * module constant), and one tenant's counts must not reach another tenant's response. A bare
 * string or object is first turned into the response API Gateway would have inferred from it
 * (200, JSON for objects), so adding headers changes nothing else the client sees.
 */
export const withHeaders = (
	request: object,
	response: unknown,
	fields: Record<string, string>,
): HttpResponse => {
	const built = withFields(request as ReportingRequest, response, fields)
	;(request as ReportingRequest)[reported] = built[reported]
	return built
}

const withFields = (
	request: ReportingRequest,
	response: unknown,
	fields: Record<string, string>,
): HttpResponse => {
	if (typeof response === 'object' && response !== null && 'statusCode' in response) {
		const http = response as HttpResponse
		const sibling = http[reported]
		if (sibling !== undefined && sibling === request[reported]) {
			// A stacked limit already built this response for this request.
			if (bindsMore(sibling, fields)) return http
			http.headers = { ...http.headers, ...fields }
			addToMultiValueHeaders(http, fields)
			http[reported] = fields
			return http
		}
		const copy: HttpResponse = {
			...http,
			headers: http.headers === undefined ? fields : mergedHeaders(http.headers, fields),
		}
		// Set after the literal, not as a computed key in it: V8 defines a computed key that
		// follows a spread through a runtime call, some tenth of what this middleware adds to
		// an allowed request. The copy is a fresh plain object, so assigning defines the same
		// own property (over one the spread may have copied).
		copy[reported] = fields
		addToMultiValueHeaders(copy, fields)
		return copy
	}
	// A streaming handler's bare body (middy's executionModeStreamifyResponse): sent as the body of a
	// response with our fields, as middy streams `{ statusCode, headers, body }`.
	if (isStream(response))
		return { statusCode: 200, headers: fields, body: response, [reported]: fields }
	if (response === undefined || response === null)
		return { statusCode: 200, headers: fields, [reported]: fields }
	// HTTP APIs and Function URLs answer any other output as a 200 of `application/json`, a
	// string as the body itself.
	return {
		statusCode: 200,
		body: typeof response === 'string' ? response : JSON.stringify(response),
		headers: { 'Content-Type': 'application/json', ...fields },
		[reported]: fields,
	}
}
