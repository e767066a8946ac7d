import type { KeyObject } from 'node:crypto'
import type { AlgorithmSpec } from './algorithms.js'

const { constants, verify } = process.getBuiltinModule('node:crypto')

/** Checks one signature over `data` with one key and one algorithm. Never throws. */
export type SignatureVerifier = (data: Buffer, signature: Buffer) => boolean

/**
 * Builds the `node:crypto` verification for `key` under `spec`, once per key and algorithm
 * when the JWKS is loaded, so a request only calls `crypto.verify`. The expected signature
 * length is checked first: OpenSSL would reject most wrong lengths too, but not all of them
 * the same way on every version, and a length check costs nothing.
 */
export const createSignatureVerifier = (
	spec: AlgorithmSpec,
	key: KeyObject,
	signatureBytes: number,
): SignatureVerifier => {
	const keyInput = spec.pss
		? {
				key,
				padding: constants.RSA_PKCS1_PSS_PADDING,
				saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
			}
		: spec.kty === 'EC'
			? { key, dsaEncoding: 'ieee-p1363' as const }
			: key
	const { hash } = spec
	return (data, signature) => {
		if (signature.length !== signatureBytes) return false
		try {
			return verify(hash, data, keyInput, signature)
		} catch {
			return false
		}
	}
}
