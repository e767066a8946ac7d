import { type HttpError, misconfigured } from './http-error.js'

/** Whether a value is a promise, or any other thenable. */
export const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
	typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'

/** Whether a function is declared `async`, and so can only answer with a promise. */
export const isAsyncFunction = (value: unknown): boolean =>
	Object.prototype.toString.call(value) === '[object AsyncFunction]'

/**
 * The answer when an option's function returned a promise where a value was due: a
 * configuration error (500, the message names the option), never a 401 to every request with
 * nothing saying why. The promise's failure is handled here, so it cannot end the Lambda
 * environment as an unhandled rejection.
 */
export const returnedPromise = (
	packageName: string,
	option: string,
	returned: PromiseLike<unknown>,
): HttpError => {
	Promise.resolve(returned).catch(() => undefined)
	return misconfigured(
		`${packageName}: ${option} returned a promise; it must return its answer synchronously`,
	)
}
