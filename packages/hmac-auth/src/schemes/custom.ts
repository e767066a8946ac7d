import { getHeader, type HttpEventLike, isPromiseLike, returnedPromise } from '@tenantry/util'
import { decodeSignature, type SignatureEncoding } from '../encoding.js'
import {
	CanonicalizeError,
	MalformedSignatureError,
	MalformedTimestampError,
	MissingCredentialsError,
	packageName,
} from '../errors.js'
import { parseTimestamp } from '../timestamp.js'
import { decodeUtf8Secret, digestBytesOf, type HmacAlgorithm, type Scheme } from './scheme.js'
import { decodeWhsecSecret, whsecFormat } from './whsec.js'

/** What a custom scheme's `canonicalize` receives. */
export interface SchemeRequest {
	readonly event: HttpEventLike
	/** The raw body: the string as received, or its bytes when it was base64-encoded. */
	readonly body: string | Buffer
	/** A header by case-insensitive name, across every event shape. */
	header(name: string): string | undefined
}

/** What a custom scheme's `canonicalize` returns for a request carrying credentials. */
export interface CanonicalRequest {
	/** The presented signatures in the scheme's `encoding` (prefixes such as `sha256=` removed). */
	signatures: readonly string[]
	/** The exact content the client signed, in pieces (avoids concatenating the body). */
	content: string | Buffer | readonly (string | Buffer)[]
	/** ISO-8601 UTC or Unix seconds; required unless the scheme sets `requireTimestamp: false`. */
	timestamp?: string | undefined
}

/** Any HMAC wire format: `canonicalize` reads the request, the rest says how to check it. */
export interface CustomScheme {
	/** Returns `undefined` when the request carries no credentials; throwing also means 401. */
	canonicalize(request: SchemeRequest): CanonicalRequest | undefined
	/** How `signatures` are encoded; `hex` accepts either case. */
	encoding: SignatureEncoding
	/** Default `sha256`. */
	algorithm?: HmacAlgorithm
	/** How a stored secret becomes the key: its UTF-8 bytes (default) or a `whsec_` base64 secret. */
	secretEncoding?: 'utf8' | 'whsec'
	/**
	 * Default `true`. `false` accepts requests without a timestamp (e.g. GitHub webhooks): then
	 * only the replay store (which remembers them for `replayRetentionSec`) limits replays.
	 */
	requireTimestamp?: boolean
	/** `WWW-Authenticate` value of every 401. Default `HMAC realm="<realm>"`. */
	challenge?: string
}

const isContentPiece = (value: unknown): value is string | Buffer =>
	typeof value === 'string' || Buffer.isBuffer(value)

const contentOf = (content: unknown): readonly (string | Buffer)[] => {
	if (isContentPiece(content)) return [content]
	if (Array.isArray(content) && content.every(isContentPiece)) return content
	throw new CanonicalizeError(
		new TypeError('content must be a string, a Buffer or an array of them'),
	)
}

export const customScheme = (scheme: CustomScheme, realm: string): Scheme => {
	const algorithm = scheme.algorithm ?? 'sha256'
	const digestBytes = digestBytesOf(algorithm)
	const requireTimestamp = scheme.requireTimestamp ?? true
	const whsec = scheme.secretEncoding === 'whsec'
	return {
		name: 'custom',
		challenge: scheme.challenge ?? `HMAC realm="${realm}"`,
		algorithm,
		digestBytes,
		secretFormat: whsec ? whsecFormat : 'is empty',
		decodeSecret: whsec ? decodeWhsecSecret : decodeUtf8Secret,
		parse(event, body) {
			let canonical: CanonicalRequest | undefined
			try {
				canonical = scheme.canonicalize({
					event,
					body,
					header: (name) => getHeader(event, name.toLowerCase()),
				})
			} catch (error) {
				throw new CanonicalizeError(error)
			}
			if (isPromiseLike(canonical))
				throw returnedPromise(packageName, 'scheme.canonicalize', canonical)
			if (canonical === undefined || canonical === null)
				throw new MissingCredentialsError('custom scheme credentials')
			const { signatures: presented, timestamp } = canonical
			if (!Array.isArray(presented) || presented.length === 0)
				throw new MissingCredentialsError('custom scheme signatures')
			const content = contentOf(canonical.content)
			let timestampMs: number | undefined
			if (timestamp !== undefined && timestamp !== '') {
				timestampMs = typeof timestamp === 'string' ? parseTimestamp(timestamp) : undefined
				if (timestampMs === undefined) throw new MalformedTimestampError()
			} else if (requireTimestamp) {
				throw new MissingCredentialsError('custom scheme timestamp')
			}
			const signatures: Uint8Array[] = []
			for (const signature of presented.slice(0, 16)) {
				const decoded =
					typeof signature === 'string'
						? decodeSignature(signature, scheme.encoding, digestBytes)
						: undefined
				if (decoded !== undefined) signatures.push(decoded)
			}
			if (signatures.length === 0) throw new MalformedSignatureError()
			return {
				signatures,
				content,
				timestampMs,
				// Replays are keyed by the signed content: an id the scheme reads from the
				// request may be unsigned, and a replay could then simply change it.
				replayId: undefined,
			}
		},
	}
}
