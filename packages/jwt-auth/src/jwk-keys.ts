import type { KeyObject } from 'node:crypto'
import { isPlainObject } from '@tenantry/util'
import { algorithmSpecs, type KeyType } from './algorithms.js'
import { createSignatureVerifier, type SignatureVerifier } from './signature.js'

const { createPublicKey } = process.getBuiltinModule('node:crypto')

/** Smallest RSA modulus accepted (RFC 8725 section 3.5, NIST SP 800-131A). */
export const minRsaModulusBits = 2048

/** One usable public key from a JWKS, with a ready verifier for each algorithm it fits. */
export interface KeyEntry {
	readonly kid: string | undefined
	readonly kty: KeyType
	/** header `alg` -> verifier; only algorithms that fit the key's kty, crv and JWK `alg`. */
	readonly verifiers: ReadonlyMap<string, SignatureVerifier>
}

export type KeyOutcome =
	| { readonly usable: true; readonly entry: KeyEntry }
	| { readonly usable: false; readonly kid: string | undefined; readonly why: string }

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const signatureCurves: Record<string, number> = { Ed25519: 64, Ed448: 114 }

const refuse = (kid: string | undefined, why: string): KeyOutcome => ({ usable: false, kid, why })

const importPublicKey = (jwk: Record<string, unknown>): KeyObject | undefined => {
	try {
		return createPublicKey({ key: jwk as never, format: 'jwk' })
	} catch {
		return undefined
	}
}

/** The byte length of this key's signatures, or the reason it cannot sign. */
const signatureLength = (
	kty: KeyType,
	key: KeyObject,
	crv: unknown,
): { bytes: number } | { why: string } => {
	if (kty === 'RSA') {
		const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
		return bits < minRsaModulusBits
			? { why: `RSA modulus of ${bits} bits is under ${minRsaModulusBits}` }
			: { bytes: Math.ceil(bits / 8) }
	}
	if (kty === 'OKP') {
		const bytes = typeof crv === 'string' ? signatureCurves[crv] : undefined
		return bytes === undefined ? { why: 'OKP curve is not a signature curve' } : { bytes }
	}
	return { bytes: 0 }
}

/**
 * Turns one JWK into a key entry, or says why it can never be used: not a public signature
 * key (`use` other than `sig`, `key_ops` without `verify`, symmetric or private material),
 * an `alg` this package does not verify, a key that does not import, or RSA under 2048 bits.
 */
export const importJwk = (jwk: unknown): KeyOutcome => {
	if (!isPlainObject(jwk)) return refuse(undefined, 'not a JSON object')
	const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined
	if (jwk.kid !== undefined && kid === undefined) return refuse(undefined, 'kid is not a string')
	const { kty, crv, alg, use } = jwk
	if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP')
		return refuse(kid, 'kty is not RSA, EC or OKP (symmetric keys are never used)')
	if (privateMembers.some((member) => member in jwk))
		return refuse(kid, 'JWK contains private key material')
	if (use !== undefined && use !== 'sig') return refuse(kid, 'use is not sig')
	const keyOps = jwk.key_ops
	if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify')))
		return refuse(kid, 'key_ops does not allow verify')
	if (alg !== undefined && !(typeof alg === 'string' && algorithmSpecs.has(alg)))
		return refuse(kid, 'alg is not a supported signature algorithm')
	const key = importPublicKey(jwk)
	if (key === undefined || key.type !== 'public') return refuse(kid, 'not a valid public key')
	const length = signatureLength(kty, key, crv)
	if ('why' in length) return refuse(kid, length.why)

	const verifiers = new Map<string, SignatureVerifier>()
	for (const [name, spec] of algorithmSpecs) {
		if (spec.kty !== kty || (alg !== undefined && alg !== name)) continue
		if (spec.curves !== undefined && !(typeof crv === 'string' && spec.curves.includes(crv)))
			continue
		verifiers.set(name, createSignatureVerifier(spec, key, spec.signatureBytes ?? length.bytes))
	}
	if (verifiers.size === 0) return refuse(kid, 'no supported algorithm fits this key')
	return { usable: true, entry: { kid, kty, verifiers } }
}
