import { type HttpError, misconfigured } from './http-error.js'

/** Whether a value is a promise, or any other thenable. */
export const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
	typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'

const asyncFunctionPrototype: unknown = Object.getPrototypeOf(async () => undefined)

/**
 * Whether a function is declared `async`, and so can only answer with a promise. Read from its
 * prototype, not its `Symbol.toStringTag`, which a test double copies from the function it
 * replaces while answering synchronously. Code built for a target before ES2017 has no async
 * functions: there the answer is checked when it comes.
 */
export const isAsyncFunction = (value: unknown): boolean =>
	typeof value === 'function' && Object.getPrototypeOf(value) === asyncFunctionPrototype

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
