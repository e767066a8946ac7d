import type { KeyObject } from 'node:crypto'
import type { HmacAlgorithm, ParsedRequest } from './schemes/scheme.js'

const { createHmac, timingSafeEqual } = process.getBuiltinModule('node:crypto')

/** HMAC of the content pieces in order: the same bytes as their concatenation, without building it. */
const digestOf = (
	algorithm: HmacAlgorithm,
	key: KeyObject,
	content: readonly (string | Uint8Array)[],
): Buffer => {
	const hmac = createHmac(algorithm, key)
	for (let index = 0; index < content.length; index++) hmac.update(content[index] as string)
	return hmac.digest()
}

/**
 * Whether any presented signature matches the content under any key. Signatures were decoded
 * to the digest's length by the scheme, so `timingSafeEqual` always compares equal lengths;
 * every signature is compared, matching or not.
 */
export const verifyWith = (
	algorithm: HmacAlgorithm,
	keys: readonly KeyObject[],
	request: ParsedRequest,
): boolean => {
	const { signatures, content } = request
	for (let k = 0; k < keys.length; k++) {
		const digest = digestOf(algorithm, keys[k] as KeyObject, content)
		let matched = false
		for (let s = 0; s < signatures.length; s++) {
			if (timingSafeEqual(signatures[s] as Uint8Array, digest)) matched = true
		}
		if (matched) return true
	}
	return false
}
