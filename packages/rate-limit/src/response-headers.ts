/**
 * What a rate limit reported for one request, kept under a symbol (which JSON leaves out) on the
 * response it built for that request, so that a stacked limit knows what its sibling reported
 * and never mistakes a handler's own headers, or another request's, for it.
 */
const reported = Symbol('@tenantry/rate-limit reported')

interface Report {
	readonly request: object
	readonly fields: Record<string, string>
}

type HttpResponse = {
	statusCode: number
	headers?: Record<string, string | number | boolean>
	body?: unknown
	[reported]?: Report
}

/**
 * Whether `fields` bind more than `others`: fewer requests left, or as many for longer. When
 * limits are stacked (a burst limit and an hourly one), the response reports the one closest to
 * exhaustion, as the draft's example of several quota policies does.
 */
const bindsMore = (fields: Record<string, string>, others: Record<string, string>): boolean => {
	const remaining = Number(fields['RateLimit-Remaining'])
	const othersRemaining = Number(others['RateLimit-Remaining'])
	return (
		remaining < othersRemaining ||
		(remaining === othersRemaining &&
			Number(fields['RateLimit-Reset']) > Number(others['RateLimit-Reset']))
	)
}

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
	const report: Report = { request, fields }
	if (typeof response === 'object' && response !== null && 'statusCode' in response) {
		const http = response as HttpResponse
		const sibling = http[reported]
		if (sibling?.request === request) {
			// A stacked limit already built this response for this request.
			if (bindsMore(sibling.fields, fields)) return http
			http.headers = { ...http.headers, ...fields }
			http[reported] = report
			return http
		}
		return {
			...http,
			headers: http.headers === undefined ? fields : { ...http.headers, ...fields },
			[reported]: report,
		}
	}
	if (response === undefined || response === null)
		return { statusCode: 200, headers: fields, [reported]: report }
	if (typeof response === 'string')
		return { statusCode: 200, body: response, headers: fields, [reported]: report }
	return {
		statusCode: 200,
		body: JSON.stringify(response),
		headers: { 'Content-Type': 'application/json', ...fields },
		[reported]: report,
	}
}
