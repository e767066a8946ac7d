import { maxRetryAfterSec } from './options.js'

/**
 * Reason phrases of the statuses Tenantry and its users answer with. A table rather than
 * `node:http`'s `STATUS_CODES`: loading `node:http` costs milliseconds of every cold start.
 */
const statusText: Readonly<Record<number, string>> = {
	400: 'Bad Request',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'Not Found',
	405: 'Method Not Allowed',
	409: 'Conflict',
	413: 'Payload Too Large',
	415: 'Unsupported Media Type',
	422: 'Unprocessable Entity',
	429: 'Too Many Requests',
	500: 'Internal Server Error',
	502: 'Bad Gateway',
	503: 'Service Unavailable',
	504: 'Gateway Timeout',
}

export interface HttpErrorOptions {
	cause?: unknown
	headers?: Record<string, string>
	/** Whether `@middy/http-error-handler` may show `message` to the client. */
	expose?: boolean
}

/**
 * An error `@middy/http-error-handler` turns into a response: it reads `statusCode`,
 * `expose`, `message` and merges `headers`. The message is always the generic status
 * text; the reason lives in `cause`, which the handler logs but never sends.
 */
export class HttpError extends Error {
	readonly statusCode: number
	readonly status: number
	expose: boolean
	headers: Record<string, string>

	constructor(statusCode: number, message?: string, options: HttpErrorOptions = {}) {
		super(message ?? statusText[statusCode] ?? 'Error', { cause: options.cause })
		this.name = `${(statusText[statusCode] ?? 'Http').replace(/[^a-zA-Z]/g, '')}Error`
		this.statusCode = statusCode
		this.status = statusCode
		this.expose = options.expose ?? statusCode < 500
		this.headers = options.headers ?? {}
	}
}

export const isHttpError = (value: unknown): value is HttpError => value instanceof HttpError

/** 401 with an RFC 6750/7235 challenge, e.g. `Bearer error="invalid_token"`. */
export const unauthorized = (challenge: string, cause?: unknown): HttpError =>
	new HttpError(401, undefined, { cause, headers: { 'WWW-Authenticate': challenge } })

/** 403; `challenge` carries `insufficient_scope` for OAuth scope failures. */
export const forbidden = (cause?: unknown, challenge?: string): HttpError =>
	new HttpError(403, undefined, {
		cause,
		headers: challenge === undefined ? {} : { 'WWW-Authenticate': challenge },
	})

/**
 * Whole delay-seconds from 1 to `maxRetryAfterSec`, the only number form of `Retry-After`:
 * `String` writes NaN, Infinity and numbers from 1e21 up as text no client reads as a delay.
 */
const delaySeconds = (seconds: number): string =>
	Number.isNaN(seconds) ? '1' : String(Math.min(maxRetryAfterSec, Math.max(1, Math.ceil(seconds))))

/**
 * 503 with `Retry-After`. Exposed on purpose: with `expose: false` the error handler
 * would replace it by a bare 500 and drop the header, and clients would not retry.
 */
export const serviceUnavailable = (retryAfterSec: number, cause?: unknown): HttpError =>
	new HttpError(503, undefined, {
		cause,
		expose: true,
		headers: { 'Retry-After': delaySeconds(retryAfterSec) },
	})

export const payloadTooLarge = (cause?: unknown): HttpError =>
	new HttpError(413, undefined, { cause })

export const tooManyRequests = (headers: Record<string, string>, cause?: unknown): HttpError =>
	new HttpError(429, undefined, { cause, headers })

/**
 * A deployment mistake found at request time (e.g. middlewares in the wrong order).
 * The message names the fix for whoever reads the logs; the client gets a plain 500.
 */
export const misconfigured = (message: string, cause?: unknown): HttpError =>
	new HttpError(500, message, { cause, expose: false })
