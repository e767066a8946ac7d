import { bindsMore, mergedHeaders } from './response-headers.js'

/** The fields a rate limit put on an error copy, so a stacked sibling can compare with them. */
const reportedOnError = Symbol('@tenantry/rate-limit reported on error')

/** The parts of an error `@middy/http-error-handler` turns into a response. */
interface HttpErrorLike {
	statusCode?: unknown
	expose?: unknown
	headers?: unknown
	[reportedOnError]?: Record<string, string>
}

/**
 * Whether `@middy/http-error-handler` will answer with this error's own status and headers:
 * an HTTP error it exposes (every 4xx, and a 5xx marked `expose`), whose status is plain data
 * (as middy's and Tenantry's HTTP errors hold it), so a copy reads it as the original does.
 * Anything else is left alone: a bare 500 drops headers anyway.
 */
const isExposedHttpError = (error: unknown): error is HttpErrorLike & Error => {
	if (!(error instanceof Error)) return false
	const status = Object.getOwnPropertyDescriptor(error, 'statusCode')
	const { expose } = error as HttpErrorLike
	return (
		status !== undefined &&
		'value' in status &&
		typeof status.value === 'number' &&
		(expose === true || (expose === undefined && status.value < 500))
	)
}

/**
 * A copy of an error with other headers: a native error of the same class (its constructor is
 * not run), with every own property of the original; `headers` and `stack` are set anew, so a
 * frozen original, or one with a read-only `headers`, copies as well.
 */
const withOtherHeaders = (
	error: Error,
	headers: Record<string, unknown>,
	fields: Record<string, string>,
): Error => {
	const prototype: unknown = Object.getPrototypeOf(error)
	const errorClass: unknown = error.constructor
	const copy: Error =
		typeof errorClass === 'function' && errorClass.prototype === prototype
			? Reflect.construct(Error, [], errorClass)
			: Object.create(prototype as object)
	const {
		headers: _replaced,
		stack: _read,
		...descriptors
	} = Object.getOwnPropertyDescriptors(error)
	Object.defineProperties(copy, descriptors)
	return Object.defineProperties(copy, {
		// V8 keeps `stack` behind an accessor that reads the object it is called on.
		stack: { value: error.stack, writable: true, configurable: true },
		headers: { value: headers, writable: true, enumerable: true, configurable: true },
		[reportedOnError]: { value: fields, configurable: true },
	})
}

/** Our own 429, marked with the fields it reports, so a stacked sibling keeps them if they bind more. */
export const reporting = <T extends Error>(error: T, fields: Record<string, string>): T =>
	Object.defineProperty(error, reportedOnError, { value: fields, configurable: true })

/**
 * The error a counted request failed with, carrying the rate limit fields too, so the client
 * learns its quota from a 404 or 422 as from a 200. A copy: the handler may throw one error
 * object for every request (a module constant), and one tenant's counts must not stick to it.
 * As on a success, other spellings of our fields are dropped, and of stacked limits the one
 * closest to exhaustion is reported.
 */
export const withErrorHeaders = (error: unknown, fields: Record<string, string>): unknown => {
	if (!isExposedHttpError(error)) return error
	const sibling = error[reportedOnError]
	if (sibling !== undefined && bindsMore(sibling, fields)) return error
	const headers =
		typeof error.headers === 'object' && error.headers !== null
			? (error.headers as Record<string, string>)
			: {}
	return withOtherHeaders(error, mergedHeaders(headers, fields), fields)
}
