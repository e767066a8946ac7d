/** The JWS algorithms this package verifies: all asymmetric, so a JWKS can only hold public keys. */
export type JwsAlgorithm =
	| 'RS256'
	| 'RS384'
	| 'RS512'
	| 'PS256'
	| 'PS384'
	| 'PS512'
	| 'ES256'
	| 'ES384'
	| 'ES512'
	| 'EdDSA'

export type KeyType = 'RSA' | 'EC' | 'OKP'

export interface AlgorithmSpec {
	readonly kty: KeyType
	/** Curves a key must be on (EC, OKP). */
	readonly curves?: readonly string[]
	/** Digest for `crypto.verify`; `null` for EdDSA, which hashes internally. */
	readonly hash: string | null
	readonly pss: boolean
	/** Exact signature length in bytes where it follows from the algorithm (ECDSA: r ‖ s). */
	readonly signatureBytes?: number
}

const rsa = (hash: string, pss: boolean): AlgorithmSpec => ({ kty: 'RSA', hash, pss })
const ec = (curve: string, hash: string, signatureBytes: number): AlgorithmSpec => ({
	kty: 'EC',
	curves: [curve],
	hash,
	pss: false,
	signatureBytes,
})

export const algorithmSpecs: ReadonlyMap<string, AlgorithmSpec> = new Map<
	JwsAlgorithm,
	AlgorithmSpec
>([
	['RS256', rsa('sha256', false)],
	['RS384', rsa('sha384', false)],
	['RS512', rsa('sha512', false)],
	['PS256', rsa('sha256', true)],
	['PS384', rsa('sha384', true)],
	['PS512', rsa('sha512', true)],
	['ES256', ec('P-256', 'sha256', 64)],
	['ES384', ec('P-384', 'sha384', 96)],
	['ES512', ec('P-521', 'sha512', 132)],
	['EdDSA', { kty: 'OKP', curves: ['Ed25519', 'Ed448'], hash: null, pss: false }],
])

export const allAlgorithms: readonly JwsAlgorithm[] = [...algorithmSpecs.keys()] as JwsAlgorithm[]

const isSupportedAlgorithm = (value: unknown): value is JwsAlgorithm =>
	typeof value === 'string' && algorithmSpecs.has(value)

/** Why an algorithm name is refused at factory time, or `undefined` when it is supported. */
export const refusal = (value: unknown): string | undefined => {
	if (isSupportedAlgorithm(value)) return undefined
	if (typeof value === 'string' && value.toLowerCase() === 'none')
		return "must not contain 'none': unsigned tokens are never accepted"
	if (typeof value === 'string' && /^HS\d+$/i.test(value))
		return `must not contain '${value}': symmetric algorithms cannot be verified with a public JWKS (and enable key confusion)`
	return `contains an unsupported algorithm (supported: ${allAlgorithms.join(', ')})`
}
