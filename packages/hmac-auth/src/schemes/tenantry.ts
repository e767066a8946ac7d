import { getHeader } from '@tenantry/util'
import { decodeSignature } from '../encoding.js'
import {
	MalformedSignatureError,
	MalformedTimestampError,
	MissingCredentialsError,
} from '../errors.js'
import { parseTimestamp } from '../timestamp.js'
import { decodeUtf8Secret, type Scheme } from './scheme.js'

export interface TenantryHeaders {
	timestamp: string
	signature: string
}

/**
 * The default scheme: `x-timestamp` (ISO-8601 UTC or Unix seconds) and `x-signature` =
 * lowercase hex HMAC-SHA256(secret, `${timestamp}\n${rawBody}`), the timestamp exactly as sent.
 */
export const tenantryScheme = (headers: TenantryHeaders, realm: string): Scheme => ({
	name: 'tenantry',
	challenge: `HMAC realm="${realm}"`,
	algorithm: 'sha256',
	digestBytes: 32,
	secretFormat: 'is empty',
	decodeSecret: decodeUtf8Secret,
	parse(event, body) {
		const timestamp = getHeader(event, headers.timestamp)
		if (!timestamp) throw new MissingCredentialsError(`header '${headers.timestamp}'`)
		const signature = getHeader(event, headers.signature)
		if (!signature) throw new MissingCredentialsError(`header '${headers.signature}'`)
		const timestampMs = parseTimestamp(timestamp)
		if (timestampMs === undefined) throw new MalformedTimestampError()
		const decoded = decodeSignature(signature, 'lowerhex', 32)
		if (decoded === undefined) throw new MalformedSignatureError()
		return {
			signatures: [decoded],
			content: [`${timestamp}\n`, body],
			timestampMs,
			replayId: undefined,
		}
	},
})
