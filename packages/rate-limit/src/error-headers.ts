import { bindsMore, mergedHeaders } from './response-headers.js'

const { types } = process.getBuiltinModule('node:util')

/** The fields a rate limit put on an error copy, so a stacked sibling can compare with them. */
const reportedOnError = Symbol('@tenantry/rate-limit reported on error')

type ErrorLike = Record<string | symbol, unknown>

/** A property's plain value, found on the object or its prototypes; `undefined` for an accessor. */
const dataValue = (object: object, key: string): unknown => {
	for (
		let holder: object | null = object;
		holder !== null;
		holder = Object.getPrototypeOf(holder)
	) {
		const descriptor = Object.getOwnPropertyDescriptor(holder, key)
		if (descriptor !== undefined) return 'value' in descriptor ? descriptor.value : undefined
	}
	return undefined
}

/**
 * Whether `@middy/http-error-handler` will answer with this error's own status and headers:
 * an HTTP error it exposes (every 4xx, and a 5xx marked `expose`), whose status is plain data
 * (own, as middy's and Tenantry's errors hold it, or on the prototype, as `http-errors` does),
 * so a copy reads it as the original does. Anything else is left alone: a bare 500 drops
 * headers anyway.
 */
const isExposedHttpError = (error: unknown): error is ErrorLike => {
	if (typeof error !== 'object' || error === null) return false
	const statusCode = dataValue(error, 'statusCode')
	const expose = dataValue(error, 'expose')
	return (
		typeof statusCode === 'number' &&
		(expose === true || (expose === undefined && statusCode < 500))
	)
}

/**
 * An object of the same class with the same own properties, not run through the class's
 * constructor: a native error stays one (also from another realm), so loggers treat it as such.
 */
const sameClassCopy = (error: ErrorLike): ErrorLike => {
	const prototype = Object.getPrototypeOf(error) as object | null
	const errorClass = dataValue(error, 'constructor')
	if (
		types.isNativeError(error) &&
		typeof errorClass === 'function' &&
		errorClass.prototype === prototype
	) {
		try {
			return Reflect.construct(Error, [], errorClass) as ErrorLike
		} catch {
			// Not a constructor after all: a plain copy below.
		}
	}
	return Object.create(prototype) as ErrorLike
}

/**
 * A copy of an error with other headers: every own property of the original; `headers` and
 * `stack` are set anew, so a frozen original, or one with a read-only `headers`, copies as well.
 * `undefined` when the copy cannot stand in for it: a class whose getters read private state
 * the copy lacks.
 */
const withOtherHeaders = (
	error: ErrorLike,
	headers: Record<string, unknown>,
	fields: Record<string, string>,
): ErrorLike | undefined => {
	const copy = sameClassCopy(error)
	const {
		headers: _replaced,
		stack: _read,
		...descriptors
	} = Object.getOwnPropertyDescriptors(error)
	Object.defineProperties(copy, descriptors)
	Object.defineProperties(copy, {
		// V8 keeps `stack` behind an accessor that reads the object it is called on.
		stack: { value: error.stack, writable: true, configurable: true },
		headers: { value: headers, writable: true, enumerable: true, configurable: true },
		[reportedOnError]: { value: fields, configurable: true },
	})
	try {
		// What the error handler and loggers read: each must work on the copy as on the original.
		for (const key of ['statusCode', 'expose', 'message', 'name']) void copy[key]
		return copy
	} catch {
		return undefined
	}
}

/** Our own 429, marked with the fields it reports; a stacked sibling leaves a 429 as it is. */
export const reporting = <T extends Error>(error: T, fields: Record<string, string>): T =>
	Object.defineProperty(error, reportedOnError, { value: fields, configurable: true })

/**
 * Whether a stacked sibling's fields on `error` win over `fields`: its own 429 (whose
 * `Retry-After` goes with them), or fields closer to exhaustion. Also for an answer an inner
 * onError built from that error, which carries the sibling's fields without knowing it.
 */
export const siblingBindsMore = (error: unknown, fields: Record<string, string>): boolean => {
	if (typeof error !== 'object' || error === null) return false
	const sibling = (error as ErrorLike)[reportedOnError] as Record<string, string> | undefined
	return (
		sibling !== undefined && (dataValue(error, 'statusCode') === 429 || bindsMore(sibling, fields))
	)
}

/**
 * The error a counted request failed with, carrying the rate limit fields too, so the client
 * learns its quota from a 404 or 422 as from a 200. A copy: the handler may throw one error
 * object for every request (a module constant), and one tenant's counts must not stick to it.
 * As on a success, other spellings of our fields are dropped, and of stacked limits the one
 * closest to exhaustion is reported; a sibling's 429 keeps the fields its `Retry-After` goes
 * with.
 */
export const withErrorHeaders = (error: unknown, fields: Record<string, string>): unknown => {
	if (!isExposedHttpError(error) || siblingBindsMore(error, fields)) return error
	const headers =
		typeof error.headers === 'object' && error.headers !== null
			? (error.headers as Record<string, string>)
			: {}
	return withOtherHeaders(error, mergedHeaders(headers, fields), fields) ?? error
}
