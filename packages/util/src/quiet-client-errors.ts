import { HttpError } from './http-error.js'
import { isPromiseLike } from './promise-like.js'

type ClientError = {
	statusCode: number
	message: string
	expose?: unknown
	headers?: unknown
	cause?: unknown
}

const isClientError = (error: unknown): error is ClientError => {
	const status: unknown = error instanceof Error && (error as Partial<ClientError>).statusCode
	return typeof status === 'number' && status >= 400 && status < 500
}

/** The same answer, with a cause that names the middleware's package and nothing of the request. */
const quieted = (error: unknown): never => {
	if (!isClientError(error)) throw error
	const source = (error.cause as { package?: unknown } | null | undefined)?.package
	const headers = error.headers
	throw new HttpError(error.statusCode, error.message, {
		cause: { package: typeof source === 'string' ? source : undefined },
		expose: error.expose !== false,
		...(typeof headers === 'object' && headers !== null
			? { headers: headers as Record<string, string> }
			: {}),
	})
}

/**
 * A stock middleware whose client errors (4xx) keep their status, message and headers but not
 * their cause. `@middy/http-json-body-parser`'s 422 keeps the whole body, and JSON.parse's
 * message quoting it, as its cause, which `@middy/http-error-handler` logs: tenant data (an
 * item, a sender's e-mail) in the function's log group, outside tenant isolation. A
 * synchronous `before` stays synchronous.
 */
export const quietClientErrors = <R, M extends { before?: (request: R) => unknown }>(
	middleware: M & { before?: (request: R) => unknown },
): M => {
	const before = middleware.before
	if (before === undefined) return middleware
	const quietBefore = (request: R): unknown => {
		let result: unknown
		try {
			result = before(request)
		} catch (error) {
			return quieted(error)
		}
		return isPromiseLike(result) ? Promise.resolve(result).catch(quieted) : result
	}
	// middy's beforeMiddleware/afterMiddleware plugin hooks (profiling) report the function's name.
	Object.defineProperty(quietBefore, 'name', { value: before.name })
	return { ...middleware, before: quietBefore }
}
