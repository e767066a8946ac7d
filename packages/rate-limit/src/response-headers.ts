/**
 * The fields a rate limit attached to a response, kept on the response under a symbol (which
 * JSON leaves out) so that a stacked limit knows what its sibling reported for this request,
 * and never mistakes a handler's own headers for it.
 */
const reported = Symbol('@tenantry/rate-limit reported')

type HttpResponse = {
	statusCode: number
	headers?: Record<string, string | number | boolean>
	body?: unknown
	[reported]?: Record<string, string>
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
 * Adds the rate limit headers to whatever the handler returned, in place as middy's HTTP
 * middlewares do. A bare string or object is first turned into the response API Gateway
 * would have inferred from it (200, JSON for objects), so adding headers changes nothing else
 * the client sees.
 */
export const withHeaders = (response: unknown, headers: Record<string, string>): HttpResponse => {
	if (typeof response === 'object' && response !== null && 'statusCode' in response) {
		const http = response as HttpResponse
		const sibling = http[reported]
		if (sibling !== undefined && bindsMore(sibling, headers)) return http
		http[reported] = headers
		http.headers = http.headers === undefined ? headers : Object.assign(http.headers, headers)
		return http
	}
	if (response === undefined || response === null)
		return { statusCode: 200, headers, [reported]: headers }
	if (typeof response === 'string')
		return { statusCode: 200, body: response, headers, [reported]: headers }
	return {
		statusCode: 200,
		body: JSON.stringify(response),
		headers: { 'Content-Type': 'application/json', ...headers },
		[reported]: headers,
	}
}
