import { getHeader } from '@tenantry/util'
import { decodeSignature } from '../encoding.js'
import {
	MalformedMessageIdError,
	MalformedSignatureError,
	MalformedTimestampError,
	MissingCredentialsError,
} from '../errors.js'
import { parseUnixSeconds } from '../timestamp.js'
import type { Scheme } from './scheme.js'
import { decodeWhsecSecret, whsecFormat } from './whsec.js'

export interface StandardWebhooksHeaders {
	id: string
	timestamp: string
	signature: string
}

const messageId = /^[\x21-\x7e]{1,256}$/
/** Bounds the work a hostile header can cause; real senders list one or two secrets. */
const maxSignatureHeaderLength = 4096
const maxSignatures = 16

/**
 * Standard Webhooks: `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
 * = space-separated `v1,<base64>` entries over `${id}.${timestamp}.${body}`. Entries of other
 * versions (`v1a` is asymmetric) are ignored, as are malformed `v1` entries, like the
 * reference libraries do; at least one well-formed `v1` entry must be present, and empty
 * entries (stray spaces) make the header malformed.
 */
export const standardWebhooksScheme = (
	headers: StandardWebhooksHeaders,
	realm: string,
): Scheme => ({
	name: 'standard-webhooks',
	challenge: `Standard-Webhooks realm="${realm}"`,
	algorithm: 'sha256',
	digestBytes: 32,
	secretFormat: whsecFormat,
	decodeSecret: decodeWhsecSecret,
	parse(event, body) {
		const id = getHeader(event, headers.id)
		if (!id) throw new MissingCredentialsError(`header '${headers.id}'`)
		const timestamp = getHeader(event, headers.timestamp)
		if (!timestamp) throw new MissingCredentialsError(`header '${headers.timestamp}'`)
		const header = getHeader(event, headers.signature)
		if (!header) throw new MissingCredentialsError(`header '${headers.signature}'`)
		if (!messageId.test(id)) throw new MalformedMessageIdError()
		const timestampMs = parseUnixSeconds(timestamp)
		if (timestampMs === undefined) throw new MalformedTimestampError()
		if (header.length > maxSignatureHeaderLength) throw new MalformedSignatureError()
		const signatures: Uint8Array[] = []
		for (const entry of header.split(' ')) {
			// Senders separate entries by exactly one space; anything else is not their output.
			if (entry === '') throw new MalformedSignatureError()
			if (!entry.startsWith('v1,')) continue
			const decoded = decodeSignature(entry.slice(3), 'base64', 32)
			if (decoded === undefined) continue
			if (signatures.push(decoded) > maxSignatures) throw new MalformedSignatureError()
		}
		if (signatures.length === 0) throw new MalformedSignatureError()
		return {
			signatures,
			content: [`${id}.${timestamp}.`, body],
			timestampMs,
			replayId: `${id}.${timestamp}`,
		}
	},
})
