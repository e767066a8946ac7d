import type { KeyObject } from 'node:crypto'
import { isPlainObject } from '@tenantry/util'
import { algorithmSpecs, type KeyType } from './algorithms.js'
import { createSignatureVerifier, type SignatureVerifier } from './signature.js'

const { createPublicKey } = process.getBuiltinModule('node:crypto')

/** Smallest RSA modulus accepted (RFC 8725 section 3.5, NIST SP 800-131A). */
const minRsaModulusBits = 2048

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

/** RFC 7517 section 4.3: strings, and "duplicate key operation values MUST NOT be present". */
const isKeyOps = (value: unknown): value is readonly string[] =>
	Array.isArray(value) &&
	value.every((operation) => typeof operation === 'string') &&
	new Set(value).size === value.length

const refuse = (kid: string | undefined, why: string): KeyOutcome => ({ usable: false, kid, why })

const importPublicKey = (jwk: Record<string, unknown>): KeyObject | undefined => {
	try {
		return createPublicKey({ key: jwk as never, format: 'jwk' })
	} catch {
		return undefined
	}
}

/**
 * RFC 8017 section 3.1: `e` is odd and at least 3. OpenSSL imports and verifies with any `e`,
 * and under `e = 1` verification is the identity: anyone could sign for such a key.
 */
const isValidRsaExponent = (exponent: bigint | undefined): boolean =>
	exponent !== undefined && exponent >= 3n && exponent % 2n === 1n

const ed25519Prime = 2n ** 255n - 19n
/** `y` of two of the four Ed25519 points of order 8; the other two have `p - y`. */
const ed25519Order8Y = 2707385501144840649318225287225658788936804267575313519463743609750303402022n
/** `y` of every point of the 8-torsion: the identity (1), order 2 (p - 1), order 4 (0), order 8. */
const ed25519SmallOrderY: ReadonlySet<bigint> = new Set([
	0n,
	1n,
	ed25519Prime - 1n,
	ed25519Order8Y,
	ed25519Prime - ed25519Order8Y,
])

/**
 * Whether an Ed25519 key is a point of small order (the identity, or an all-zero `x` left as a
 * placeholder): OpenSSL imports it and verifies without a cofactor check, so a signature
 * `R = identity, S = 0` then verifies for (a share of) every message, made without a private key.
 * (OpenSSL's Ed448 verification already refuses the same forgery.)
 */
const isSmallOrderEd25519 = (key: KeyObject): boolean => {
	if (key.asymmetricKeyType !== 'ed25519') return false
	const encoded = Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url')
	let y = 0n
	// Little-endian, and the top bit is the sign of x, not part of y (RFC 8032 section 5.1.2).
	for (let index = encoded.length - 1; index >= 0; index--)
		y = (y << 8n) | BigInt(encoded[index] ?? 0)
	y &= (1n << 255n) - 1n
	return ed25519SmallOrderY.has(y % ed25519Prime)
}

/** The byte length of this key's signatures, or the reason it cannot sign. */
const signatureLength = (
	kty: KeyType,
	key: KeyObject,
	crv: unknown,
): { bytes: number } | { why: string } => {
	if (kty === 'RSA') {
		const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
		if (bits < minRsaModulusBits)
			return { why: `RSA modulus of ${bits} bits is under ${minRsaModulusBits}` }
		if (!isValidRsaExponent(key.asymmetricKeyDetails?.publicExponent))
			return { why: 'RSA public exponent is not an odd number of at least 3' }
		return { bytes: Math.ceil(bits / 8) }
	}
	if (kty === 'OKP') {
		const bytes = typeof crv === 'string' ? signatureCurves[crv] : undefined
		if (bytes === undefined) return { why: 'OKP curve is not a signature curve' }
		if (isSmallOrderEd25519(key)) return { why: 'Ed25519 public key of small order' }
		return { bytes }
	}
	return { bytes: 0 }
}

/**
 * Turns one JWK into a key entry, or says why it can never be used: not a public signature
 * key (`use` other than `sig`, `key_ops` without `verify` or not a list of distinct strings,
 * `ext` not a boolean, symmetric or private material),
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
	if (keyOps !== undefined && !isKeyOps(keyOps))
		return refuse(kid, 'key_ops is not an array of distinct strings')
	if (keyOps !== undefined && !keyOps.includes('verify'))
		return refuse(kid, 'key_ops does not allow verify')
	if (jwk.ext !== undefined && typeof jwk.ext !== 'boolean')
		return refuse(kid, 'ext is not a boolean')
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
