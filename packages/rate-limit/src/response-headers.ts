type HttpResponse = {
	statusCode: number
	headers?: Record<string, string | number | boolean>
	body?: unknown
}

/**
 * When limits are stacked (a burst limit and an hourly one), the response reports the one
 * closest to exhaustion, as the draft's example of several quota policies does: a limit with
 * more requests left does not replace what another limit already reported.
 */
const reportsFewerRemaining = (
	present: Record<string, string | number | boolean>,
	headers: Record<string, string>,
): boolean => {
	const remaining = present['RateLimit-Remaining']
	return remaining !== undefined && Number(remaining) < Number(headers['RateLimit-Remaining'])
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
		if (http.headers === undefined) http.headers = headers
		else if (!reportsFewerRemaining(http.headers, headers)) Object.assign(http.headers, headers)
		return http
	}
	if (response === undefined || response === null) return { statusCode: 200, headers }
	if (typeof response === 'string') return { statusCode: 200, body: response, headers }
	return {
		statusCode: 200,
		body: JSON.stringify(response),
		headers: { 'Content-Type': 'application/json', ...headers },
	}
}
