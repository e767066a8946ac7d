import type { IncomingMessage } from 'node:http'
import {
	type JwksError,
	JwksHttpStatusError,
	JwksInvalidError,
	JwksTimeoutError,
	JwksTooLargeError,
	JwksUnreachableError,
} from './errors.js'

export interface JwksFetchLimits {
	timeoutMs: number
	maxBytes: number
}

const { hash } = process.getBuiltinModule('node:crypto')
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A fetched JWKS: the parsed document, and a digest of its body to tell an unchanged one by. */
export interface FetchedJwks {
	readonly document: unknown
	/** SHA-256 of the body as received: a fixed size, whatever the document's depth or length. */
	readonly digest: string
}

/**
 * GETs a JWKS document within `timeoutMs` (connection, headers and body) and `maxBytes`,
 * parses it and digests its body. Redirects are not followed: the JWKS URI is configuration,
 * and a redirect could leave https or the issuer's host. Every failure is a `JwksError`, so
 * callers answer 503.
 *
 * `node:http(s)` rather than `fetch`: the first `fetch()` in a process loads undici
 * synchronously (about 30 ms here), which the prefetch would add to every cold start, while the
 * AWS SDK already loads `node:https`.
 */
export const fetchJwksDocument = (uri: string, limits: JwksFetchLimits): Promise<FetchedJwks> =>
	new Promise((resolve, reject) => {
		const url = new URL(uri)
		// Resolved per call, not at module scope: loading node:https (TLS) is cold-start time.
		const { request: send } = process.getBuiltinModule(
			url.protocol === 'https:' ? 'node:https' : 'node:http',
		)
		let settled = false
		let closed = false
		let failure: JwksError | undefined
		const settle = (): boolean => {
			if (settled) return false
			settled = true
			clearTimeout(timer)
			return true
		}
		// A failure is destroyed with its error, so that an instrumentation of node:http (the X-Ray
		// SDK's, which Powertools installs) sees the request end: it listens only for the response's
		// end and the request's error, and would leave its subsegment open. It is rejected once the
		// request has closed, so that subsegment closes before the caller's one: the X-Ray SDK never
		// sends a subsegment closed before its last child, nor the invocation's around it.
		// A request still waiting for a socket (its agent at maxSockets) closes only once another
		// request to the host frees one, which may be never: it is rejected at once, so that
		// timeoutMs bounds every fetch, and every request single-flighted on it, all the same.
		const fail = (error: JwksError): void => {
			if (!settle()) return
			failure = error
			if (!closed) request.destroy(error)
			if (closed || request.socket === null) reject(error)
		}

		const receive = (response: IncomingMessage): void => {
			if (response.statusCode !== 200) {
				fail(new JwksHttpStatusError(response.statusCode ?? 0))
				return
			}
			if (Number(response.headers['content-length'] ?? Number.NaN) > limits.maxBytes) {
				fail(new JwksTooLargeError(limits.maxBytes))
				return
			}
			const chunks: Buffer[] = []
			let size = 0
			response.on('data', (chunk: Buffer) => {
				size += chunk.length
				if (size > limits.maxBytes) fail(new JwksTooLargeError(limits.maxBytes))
				else chunks.push(chunk)
			})
			response.on('error', (error) => fail(new JwksUnreachableError(error)))
			response.on('close', () => {
				if (!response.complete)
					fail(new JwksUnreachableError(new Error('connection closed before the body ended')))
			})
			response.on('end', () => {
				if (!settle()) return
				try {
					const body = Buffer.concat(chunks, size)
					resolve({ document: JSON.parse(utf8.decode(body)), digest: hash('sha256', body) })
				} catch (error) {
					reject(new JwksInvalidError('body is not UTF-8 JSON', error))
				}
			})
		}

		const request = send(
			url,
			{ method: 'GET', headers: { accept: 'application/jwk-set+json, application/json' } },
			receive,
		)
		const timer = setTimeout(() => fail(new JwksTimeoutError(limits.timeoutMs)), limits.timeoutMs)
		request.on('error', (error) => fail(new JwksUnreachableError(error)))
		request.on('close', () => {
			closed = true
			if (failure !== undefined) reject(failure)
		})
		request.end()
	})
