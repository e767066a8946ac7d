import {
	JwksError,
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

const readCapped = async (response: Response, maxBytes: number): Promise<Uint8Array> => {
	const reader = response.body?.getReader()
	if (reader === undefined) return new Uint8Array()
	const chunks: Uint8Array[] = []
	let size = 0
	for (;;) {
		const { done, value } = await reader.read()
		if (done) break
		size += value.byteLength
		if (size > maxBytes) {
			await reader.cancel().catch(() => undefined)
			throw new JwksTooLargeError(maxBytes)
		}
		chunks.push(value)
	}
	return Buffer.concat(chunks, size)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * GETs a JWKS document within `timeoutMs` (headers and body) and `maxBytes`, and parses it.
 * Redirects are not followed: the JWKS URI is configuration, and a redirect could leave
 * https or the issuer's host. Every failure is a `JwksError`, so callers answer 503.
 */
export const fetchJwksDocument = async (uri: string, limits: JwksFetchLimits): Promise<unknown> => {
	const signal = AbortSignal.timeout(limits.timeoutMs)
	let bytes: Uint8Array
	try {
		const response = await fetch(uri, {
			signal,
			redirect: 'error',
			headers: { accept: 'application/jwk-set+json, application/json' },
		})
		if (response.status !== 200) {
			await response.body?.cancel().catch(() => undefined)
			throw new JwksHttpStatusError(response.status)
		}
		const declared = Number(response.headers.get('content-length') ?? Number.NaN)
		if (declared > limits.maxBytes) {
			await response.body?.cancel().catch(() => undefined)
			throw new JwksTooLargeError(limits.maxBytes)
		}
		bytes = await readCapped(response, limits.maxBytes)
	} catch (error) {
		if (error instanceof JwksError) throw error
		throw signal.aborted
			? new JwksTimeoutError(limits.timeoutMs, error)
			: new JwksUnreachableError(error)
	}
	try {
		return JSON.parse(utf8.decode(bytes))
	} catch (error) {
		throw new JwksInvalidError('body is not UTF-8 JSON', error)
	}
}
