import type { HttpEventLike } from '@tenantry/util'

export type HmacAlgorithm = 'sha256' | 'sha512'

/** A request reduced to what verification needs. */
export interface ParsedRequest {
	/** Presented signatures, decoded and of the digest's length. */
	readonly signatures: readonly Uint8Array[]
	/** The signed content, fed to the HMAC piece by piece so the body is never copied. */
	readonly content: readonly (string | Buffer)[]
	/** Epoch milliseconds; `undefined` only for custom schemes without a timestamp. */
	readonly timestampMs: number | undefined
	/**
	 * What identifies this message for replay protection; it must be covered by the signature.
	 * `undefined`: a hash of the signed content.
	 */
	readonly replayId: string | undefined
}

/** How one wire format turns a request into {@link ParsedRequest} and a secret into a key. */
export interface Scheme {
	readonly name: string
	/** The `WWW-Authenticate` value of every 401. */
	readonly challenge: string
	readonly algorithm: HmacAlgorithm
	readonly digestBytes: number
	/** Throws an `HmacAuthError` (the reason of a 401) for missing or malformed headers. */
	parse(event: HttpEventLike, body: string | Buffer): ParsedRequest
	/** The HMAC key of a stored secret, or `undefined` when the secret has the wrong format. */
	decodeSecret(secret: string): Buffer | undefined
	/** Says what a secret must look like, for the log line of a malformed one. */
	readonly secretFormat: string
}

export const digestBytesOf = (algorithm: HmacAlgorithm): number =>
	algorithm === 'sha256' ? 32 : 64

/** A UTF-8 secret as HMAC key; any non-empty string. */
export const decodeUtf8Secret = (secret: string): Buffer | undefined =>
	secret.length === 0 ? undefined : Buffer.from(secret, 'utf8')
