/** The parts of an error `@middy/http-error-handler` turns into a response. */
interface HttpErrorLike {
	statusCode?: unknown
	expose?: unknown
	headers?: unknown
}

/**
 * Whether `@middy/http-error-handler` will answer with this error's own status and headers:
 * an HTTP error it exposes (every 4xx, and a 5xx marked `expose`). Anything else becomes a bare
 * 500, whose headers are dropped anyway.
 */
const isExposedHttpError = (error: unknown): error is HttpErrorLike & object => {
	if (typeof error !== 'object' || error === null) return false
	const { statusCode, expose } = error as HttpErrorLike
	return (
		typeof statusCode === 'number' &&
		(expose === true || (expose === undefined && statusCode < 500))
	)
}

/**
 * The error a counted request failed with, carrying the rate limit fields too, so the client
 * learns its quota from a 404 or 422 as from a 200. A copy with the same prototype, stack and
 * cause: the handler may throw one error object for every request (a module constant), and one
 * tenant's counts must not stick to it. Fields the error already carries (a stacked limit's 429)
 * are kept.
 */
export const withErrorHeaders = (error: unknown, fields: Record<string, string>): unknown => {
	if (!isExposedHttpError(error)) return error
	const headers = typeof error.headers === 'object' && error.headers !== null ? error.headers : {}
	const copy = Object.create(
		Object.getPrototypeOf(error),
		Object.getOwnPropertyDescriptors(error),
	) as HttpErrorLike
	copy.headers = { ...fields, ...headers }
	return copy
}
