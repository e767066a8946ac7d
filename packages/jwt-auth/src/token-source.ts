import {
	getCookie,
	getHeader,
	type HttpEventLike,
	isPromiseLike,
	returnedPromise,
} from '@tenantry/util'
import { maxTokenLength } from './compact-jws.js'
import { MalformedTokenError, TokenSourceError, TokenTooLargeError } from './errors.js'
import { packageName } from './package-name.js'

/**
 * Where the token is read from: the `Authorization: Bearer` header (default), another
 * header carrying the bare token, a cookie, or a function of the event.
 */
export type TokenSource =
	| { readonly header: string }
	| { readonly cookie: string }
	| ((event: HttpEventLike) => string | undefined)

/** Reads the token from an event: `undefined` when there is none (a bare 401 challenge). */
export type TokenReader = (event: HttpEventLike) => string | undefined

const bearerScheme = /^bearer +/i
/** Longest header value looked at: a token at the cap plus its scheme. */
const maxHeaderLength = maxTokenLength + 64

/**
 * `Authorization: Bearer <token>`, scheme case-insensitive. No header, an empty one or
 * another scheme (`Basic ...`) means no bearer token; a Bearer header whose credentials are
 * not exactly one token (two joined headers, trailing words) is a malformed token. Any other
 * character outside base64url and the two dots is refused by the JWS parser.
 */
const readBearer: TokenReader = (event) => {
	const value = getHeader(event, 'authorization')
	if (value === undefined) return undefined
	if (value.length > maxHeaderLength) throw new TokenTooLargeError(maxTokenLength)
	const scheme = bearerScheme.exec(value)
	if (scheme === null) return undefined
	const token = value.slice(scheme[0].length)
	if (token === '' || token.includes(' '))
		throw new MalformedTokenError('Authorization is not "Bearer <token>"')
	return token
}

const nonEmpty = (value: string | undefined): string | undefined =>
	value === undefined || value === '' ? undefined : value

export const createTokenReader = (source: TokenSource | undefined): TokenReader => {
	if (source === undefined) return readBearer
	if (typeof source === 'function') {
		return (event) => {
			let value: unknown
			try {
				value = source(event)
			} catch (error) {
				throw new TokenSourceError(error)
			}
			if (value === undefined || value === '') return undefined
			if (isPromiseLike(value)) throw returnedPromise(packageName, 'tokenSource', value)
			if (typeof value !== 'string') throw new TokenSourceError()
			return value
		}
	}
	if ('header' in source) {
		const name = source.header.toLowerCase()
		return (event) => nonEmpty(getHeader(event, name))
	}
	const { cookie } = source
	return (event) => nonEmpty(getCookie(event, cookie))
}
