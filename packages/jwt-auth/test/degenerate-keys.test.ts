import { createHash, createPublicKey, type JsonWebKey, verify } from 'node:crypto'
import { type LocalIdentityProvider, startIdentityProvider } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodePart, expectRejected, invalidToken, pipeline } from './helpers.js'

// Keys a JWKS may publish that verify signatures made without any private key.

let idp: LocalIdentityProvider

beforeAll(async () => {
	idp = await startIdentityProvider({ algorithms: [] })
})
afterAll(() => idp.stop())

/** DER prefix of a SHA-256 DigestInfo (RFC 8017 section 9.2, note 1). */
const sha256DigestInfo = Buffer.from('3031300d060960864801650304020105000420', 'hex')

/**
 * EMSA-PKCS1-v1_5 of `input` for a modulus of `bytes` bytes. With a public exponent of 1,
 * RSA verification computes s^1 mod n = s: this encoding is itself a valid RS256 signature,
 * made without any private key.
 */
const pkcs1Encoding = (input: string, bytes: number): Buffer => {
	const digestInfo = Buffer.concat([sha256DigestInfo, createHash('sha256').update(input).digest()])
	const padding = Buffer.alloc(bytes - digestInfo.length - 3, 0xff)
	return Buffer.concat([Buffer.of(0, 1), padding, Buffer.of(0), digestInfo])
}

describe('a JWKS RSA key with public exponent 1', () => {
	it('is never used: anyone could sign for it without a private key', async () => {
		// An issuer (or a broken key-management step) publishing e = AQ (1): RSA under it is the
		// identity function. The package refuses RSA under 2048 bits at load; this key is worse.
		const key = await idp.createKey('RS256', { kid: 'e-is-one', jwk: { e: 'AQ' } })
		const modulusBytes = Buffer.from(String(key.publicJwk.n), 'base64url').length
		const now = Math.floor(Date.now() / 1000)
		const input = `${encodePart({ alg: 'RS256', kid: key.kid })}.${encodePart({
			iss: idp.issuer,
			sub: 'admin',
			aud: 'api',
			tenant_id: 'victim',
			iat: now,
			exp: now + 600,
		})}`
		const forged = `${input}.${pkcs1Encoding(input, modulusBytes).toString('base64url')}`

		const run = pipeline({ issuers: { issuer: idp.issuer, audience: 'api' } })
		const outcome = await run.withToken(forged)
		expect(run.seen).toEqual([])
		expectRejected(outcome, 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_key_rejected')
	})
})

describe('a JWKS RSA key with an even public exponent', () => {
	it('is refused when the JWKS is loaded, not merely failing each signature', async () => {
		// RFC 8017 section 3.1: e is odd. OpenSSL imports e = 65538 (AQAC) and verifies with it; no
		// private key matches such a key, so it is a broken key-management step, refused as one.
		const key = await idp.createKey('RS256', { kid: 'e-is-even', jwk: { e: 'AQAC' } })
		const token = await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' }, { key })

		const run = pipeline({ issuers: { issuer: idp.issuer, audience: 'api' } })
		const outcome = await run.withToken(token)
		expect(run.seen).toEqual([])
		expectRejected(outcome, 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_key_rejected')
	})
})

/** An Ed25519 public JWK `x` encoding `y` (little-endian, sign bit clear). */
const ed25519X = (y: bigint): string => {
	const bytes = Buffer.alloc(32)
	for (let index = 0, rest = y; index < 32; index++, rest >>= 8n)
		bytes[index] = Number(rest & 0xffn)
	return bytes.toString('base64url')
}

describe('a JWKS Ed25519 key of small order', () => {
	// R = the identity point, S = 0: [S]B = R + [k]A holds whenever [k]A is the identity, which for
	// A of order 1 is every message, for A of order 4 (x all zero, a placeholder) one in four.
	// OpenSSL before 3.2 (Node 22.3.0, the engines floor, has 3.0.13) verifies such signatures: there
	// the forged token is accepted; newer OpenSSL refuses the signature, but the key is still used.
	const identity = ed25519X(1n)
	const signature = Buffer.concat([Buffer.from(identity, 'base64url'), Buffer.alloc(32)])

	it.each([
		{ name: 'the identity point', x: identity },
		{ name: 'an all-zero x (order 4)', x: ed25519X(0n) },
		// The top bit of x is the sign of x, not part of y: OpenSSL imports the identity point
		// spelled with it set, and the check must read y without it.
		{ name: 'the identity point with the sign bit set', x: ed25519X(1n | (1n << 255n)) },
	])('is refused when the JWKS is loaded: $name lets anyone sign', async ({ x }) => {
		const key = await idp.createKey('EdDSA', { kid: `small-order-${x.slice(0, 2)}`, jwk: { x } })
		const publicKey = createPublicKey({ key: key.publicJwk as JsonWebKey, format: 'jwk' })
		const now = Math.floor(Date.now() / 1000)
		// A token whose signing input the forged signature verifies for where OpenSSL lets it.
		let forged = ''
		for (let attempt = 0; attempt < 64; attempt++) {
			const input = `${encodePart({ alg: 'EdDSA', kid: key.kid })}.${encodePart({
				iss: idp.issuer,
				sub: 'admin',
				aud: 'api',
				tenant_id: 'victim',
				jti: `forged-${attempt}`,
				iat: now,
				exp: now + 600,
			})}`
			forged = `${input}.${signature.toString('base64url')}`
			if (verify(null, Buffer.from(input), publicKey, signature)) break
		}

		const run = pipeline({ issuers: { issuer: idp.issuer, audience: 'api' } })
		const outcome = await run.withToken(forged)
		expect(run.seen).toEqual([])
		expectRejected(outcome, 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_key_rejected')
	})
})
