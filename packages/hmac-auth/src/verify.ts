import type { KeyObject } from 'node:crypto'
import type { HmacAlgorithm, ParsedRequest } from './schemes/scheme.js'

const { createHmac, timingSafeEqual } = process.getBuiltinModule('node:crypto')

/** HMAC of the content pieces in order: the same bytes as their concatenation, without building it. */
export const digestOf = (
	algorithm: HmacAlgorithm,
	key: KeyObject,
	content: readonly (string | Uint8Array)[],
): Buffer => {
	const hmac = createHmac(algorithm, key)
	for (let index = 0; index < content.length; index++) hmac.update(content[index] as string)
	return hmac.digest()
}

/**
 * Checks the presented signatures against every key. Returns the digest under the first key
 * when any key matches (it identifies the message for replay protection whichever key the
 * client used), `undefined` otherwise. Signatures were decoded to the digest's length by the
 * scheme, so `timingSafeEqual` always compares equal lengths.
 */
export const verifyWith = (
	algorithm: HmacAlgorithm,
	keys: readonly KeyObject[],
	request: ParsedRequest,
): Buffer | undefined => {
	const { signatures, content } = request
	let first: Buffer | undefined
	for (let k = 0; k < keys.length; k++) {
		const digest = digestOf(algorithm, keys[k] as KeyObject, content)
		if (k === 0) first = digest
		let matched = false
		for (let s = 0; s < signatures.length; s++) {
			if (timingSafeEqual(signatures[s] as Uint8Array, digest)) matched = true
		}
		if (matched) return first
	}
	return undefined
}
