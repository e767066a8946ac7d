import { MalformedTokenError, TokenTooLargeError } from './errors.js'

/** Longest token accepted, checked before any other work. */
export const maxTokenLength = 16_384

export interface CompactJws {
	readonly header: Record<string, unknown>
	readonly payload: Record<string, unknown>
	/** `<header>.<payload>` as sent: the bytes the signature covers. */
	readonly signingInput: Buffer
	readonly signature: Buffer
}

const base64url = /^[A-Za-z0-9_-]*$/

/** The 6-bit value of a base64url character already known to be in the alphabet. */
const sextet = (code: number): number => {
	if (code >= 97) return code - 71 // a-z
	if (code === 95) return 63 // _ (between Z and a)
	if (code >= 65) return code - 65 // A-Z
	if (code >= 48) return code + 4 // 0-9
	return 62 // -
}

/**
 * Only the canonical, unpadded base64url spelling of a byte string is accepted: a last
 * character with unused bits set decodes to the same bytes as its canonical twin, so
 * without this check a mutated signature could still verify.
 */
const assertBase64url = (part: string, name: string): void => {
	const remainder = part.length % 4
	if (!base64url.test(part) || remainder === 1 || (part.length === 0 && name !== 'signature'))
		throw new MalformedTokenError(`${name} is not base64url`)
	if (remainder === 0) return
	const unusedBits = remainder === 2 ? 0x0f : 0x03
	if ((sextet(part.charCodeAt(part.length - 1)) & unusedBits) !== 0)
		throw new MalformedTokenError(`${name} is not canonical base64url`)
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

const decodeJsonObject = (part: string, name: string): Record<string, unknown> => {
	let value: unknown
	try {
		value = JSON.parse(utf8.decode(Buffer.from(part, 'base64url')))
	} catch {
		throw new MalformedTokenError(`${name} is not UTF-8 JSON`)
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value))
		throw new MalformedTokenError(`${name} is not a JSON object`)
	return value as Record<string, unknown>
}

/**
 * Splits and decodes a compact JWS (RFC 7515 section 7.1), strictly: the length cap
 * first, then exactly three canonical base64url parts, and a header and payload that are
 * UTF-8 JSON objects. The signature may be empty here (an unsecured JWS, refused by the
 * algorithm check, and by every verifier's length check). Nothing here is trusted yet.
 */
export const parseCompactJws = (token: string): CompactJws => {
	if (token.length > maxTokenLength) throw new TokenTooLargeError(maxTokenLength)
	const first = token.indexOf('.')
	const second = first === -1 ? -1 : token.indexOf('.', first + 1)
	if (second === -1 || token.indexOf('.', second + 1) !== -1)
		throw new MalformedTokenError('expected three dot-separated parts')
	const headerPart = token.slice(0, first)
	const payloadPart = token.slice(first + 1, second)
	const signaturePart = token.slice(second + 1)
	assertBase64url(headerPart, 'header')
	assertBase64url(payloadPart, 'payload')
	assertBase64url(signaturePart, 'signature')
	return {
		header: decodeJsonObject(headerPart, 'header'),
		payload: decodeJsonObject(payloadPart, 'payload'),
		signingInput: Buffer.from(token.slice(0, second), 'latin1'),
		signature: Buffer.from(signaturePart, 'base64url'),
	}
}
