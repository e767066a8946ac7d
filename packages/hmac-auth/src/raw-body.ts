import { type HttpEventLike, misconfigured, payloadTooLarge } from '@tenantry/util'
import { BodyAlreadyParsedError, BodyTooLargeError, packageName } from './errors.js'

const parsedBodyMessage = `${packageName}: event.body is not the raw string body. hmacAuth() must be .use()d before @middy/http-json-body-parser (and any other body parser): it verifies the bytes as received.`

/**
 * The body exactly as the client sent it: the string, or its bytes when API Gateway marked
 * it base64-encoded. Sizes are checked before anything is decoded or hashed; UTF-8 needs at
 * least one and at most three bytes per UTF-16 unit, so most strings are sized without a scan.
 */
export const readRawBody = (event: HttpEventLike, maxBodyBytes: number): string | Buffer => {
	const body = event.body
	if (body === undefined || body === null) return ''
	if (typeof body !== 'string') throw misconfigured(parsedBodyMessage, new BodyAlreadyParsedError())
	if (event.isBase64Encoded === true) {
		if (Math.floor(body.length / 4) * 3 - 2 > maxBodyBytes) throw tooLarge(maxBodyBytes)
		const bytes = Buffer.from(body, 'base64')
		if (bytes.length > maxBodyBytes) throw tooLarge(maxBodyBytes)
		return bytes
	}
	if (body.length > maxBodyBytes) throw tooLarge(maxBodyBytes)
	if (body.length * 3 > maxBodyBytes && Buffer.byteLength(body) > maxBodyBytes)
		throw tooLarge(maxBodyBytes)
	return body
}

const tooLarge = (maxBodyBytes: number) => payloadTooLarge(new BodyTooLargeError(maxBodyBytes))
