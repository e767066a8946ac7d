import { constants, createPublicKey, sign } from 'node:crypto'
import {
	albEvent,
	assembleJwt,
	functionUrlEvent,
	httpApiEvent,
	type LocalIdentityProvider,
	lambdaContext,
	restApiEvent,
	type SigningKey,
	startIdentityProvider,
} from '@tenantry/testing'
import type { HttpEventLike } from '@tenantry/util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JwtAuthOptions } from '../src/index.js'
import {
	encodePart,
	expectRejected,
	hmacSign,
	invalidToken,
	pipeline,
	privateKeyOf,
	signWith,
} from './helpers.js'

let idp: LocalIdentityProvider
/** An identity provider an attacker runs: its JWKS must never be fetched. */
let attacker: LocalIdentityProvider
let rsa: SigningKey
let pss: SigningKey
let ec: SigningKey
let p384: SigningKey
let attackerRsa: SigningKey
let attackerEc: SigningKey
let weak: SigningKey
let encryptionKey: SigningKey
let mislabelled: SigningKey
let unpublished: SigningKey

const pool = 'eu-west-1_Hostile1'
const cognitoIss = `https://cognito-idp.eu-west-1.amazonaws.com/${pool}`
const nowSec = () => Math.floor(Date.now() / 1000)
const claims = (overrides: Record<string, unknown> = {}) => ({
	iss: idp.issuer,
	sub: 'user-1',
	aud: 'api',
	tenant_id: 'acme',
	iat: nowSec(),
	exp: nowSec() + 600,
	...overrides,
})
const header = (key: SigningKey, overrides: Record<string, unknown> = {}) => ({
	alg: key.alg,
	kid: key.kid,
	...overrides,
})
const signed = (key: SigningKey, payload = claims(), headerOverrides = {}) =>
	signWith(header(key, headerOverrides), payload, privateKeyOf(key))
/** RS256 over a payload given as JSON text: a number JSON.stringify cannot write (`1e999`). */
const signedText = (key: SigningKey, payloadJson: string) => {
	const input = `${encodePart(header(key))}.${encodePart(payloadJson)}`
	return `${input}.${sign('sha256', Buffer.from(input), privateKeyOf(key)).toString('base64url')}`
}
const publicPem = (key: SigningKey) =>
	createPublicKey({ key: key.publicJwk as never, format: 'jwk' }).export({
		type: 'spki',
		format: 'pem',
	}) as string

beforeAll(async () => {
	;[idp, attacker] = await Promise.all([startIdentityProvider(), startIdentityProvider()])
	rsa = await idp.createKey('RS256', { kid: 'rsa-main' })
	pss = await idp.createKey('PS256', { kid: 'pss-main' })
	ec = await idp.createKey('ES256', { kid: 'ec-main' })
	p384 = await idp.createKey('ES384', { kid: 'ec-384' })
	weak = await idp.createKey('RS256', { kid: 'weak-1024', modulusLength: 1024 })
	encryptionKey = await idp.createKey('RS256', { kid: 'enc-key', jwk: { use: 'enc' } })
	mislabelled = await idp.createKey('RS256', { kid: 'rsa-says-es256', jwk: { alg: 'ES256' } })
	unpublished = await idp.createKey('RS256', { kid: 'not-in-jwks', publish: false })
	attackerRsa = await attacker.createKey('RS256', { kid: 'rsa-main' })
	attackerEc = await attacker.createKey('ES256', { kid: 'attacker-ec' })
	attacker.resetCalls()
})
afterAll(() => Promise.all([idp.stop(), attacker.stop()]))

interface Case {
	name: string
	token: () => string | Promise<string>
	options?: () => Partial<JwtAuthOptions>
	reason: string
	status?: 401 | 403
	/** Default `invalid_token`; `null`: no challenge at all. */
	challenge?: string | null
}

const options = (overrides: Partial<JwtAuthOptions> = {}): JwtAuthOptions => ({
	issuers: { issuer: idp.issuer, audience: 'api' },
	...overrides,
})

const cognito = (tokenUse: 'id' | 'access'): Partial<JwtAuthOptions> => ({
	issuers: undefined,
	cognito: { userPoolId: pool, clientId: 'app-client', tokenUse, jwksUri: idp.jwksUri },
})
const cognitoClaims = (tokenUse: 'id' | 'access', overrides: Record<string, unknown> = {}) =>
	claims({
		iss: cognitoIss,
		token_use: tokenUse,
		...(tokenUse === 'access'
			? { client_id: 'app-client', aud: undefined }
			: { aud: 'app-client' }),
		...overrides,
	})

/** Runs a token through the pipeline and checks it was refused without any effect. */
const expectRefused = async (testCase: Case) => {
	const run = pipeline(options(testCase.options?.()))
	const context = lambdaContext()
	const event = httpApiEvent({ headers: { authorization: `Bearer ${await testCase.token()}` } })
	const snapshot = structuredClone(event)
	const outcome = await run.invoke(event, context)
	expectRejected(
		outcome,
		testCase.status ?? 401,
		testCase.challenge === undefined ? invalidToken : testCase.challenge,
	)
	expect(run.seen).toEqual([])
	expect('auth' in context).toBe(false)
	expect(event).toEqual(snapshot)
	expect(run.lastReason()).toBe(testCase.reason)
	expect(attacker.jwksCalls()).toBe(0)
}

describe('algorithm attacks', () => {
	const cases: Case[] = [
		{
			name: 'alg none, empty signature',
			token: () => assembleJwt({ alg: 'none', kid: rsa.kid }, claims()),
			reason: 'jwt_alg_not_allowed',
		},
		{
			// The header is judged on its own first: an unsigned token is refused as such, whatever
			// issuer its (unverified) payload names.
			name: 'alg none naming an issuer that is not configured',
			token: () => assembleJwt({ alg: 'none' }, claims({ iss: attacker.issuer })),
			reason: 'jwt_alg_not_allowed',
		},
		{
			name: 'alg None with a signature copied from a valid token',
			token: () => assembleJwt({ alg: 'None', kid: rsa.kid }, claims(), signed(rsa).split('.')[2]),
			reason: 'jwt_alg_not_allowed',
		},
		{
			name: 'HS256 signed with the RSA public key (PEM) as the secret',
			token: () => hmacSign({ alg: 'HS256', kid: rsa.kid }, claims(), publicPem(rsa)),
			reason: 'jwt_alg_not_allowed',
		},
		{
			name: 'HS256 signed with the RSA public JWK as the secret',
			token: () =>
				hmacSign({ alg: 'HS256', kid: rsa.kid }, claims(), JSON.stringify(rsa.publicJwk)),
			reason: 'jwt_alg_not_allowed',
		},
		{
			name: 'a valid RS256 token when only ES256 is allowed',
			token: () => signed(rsa),
			options: () => ({ algorithms: ['ES256'] }),
			reason: 'jwt_alg_not_allowed',
		},
		{
			name: "a valid RS256 token when the issuer's own list allows only ES256",
			token: () => signed(rsa),
			options: () => ({ issuers: { issuer: idp.issuer, audience: 'api', algorithms: ['ES256'] } }),
			reason: 'jwt_alg_not_allowed',
		},
		{
			name: 'an algorithm nobody supports (ES256K)',
			token: () => assembleJwt({ alg: 'ES256K', kid: ec.kid }, claims(), 'AAAA'),
			reason: 'jwt_alg_not_allowed',
		},
		{
			name: 'alg that is not a string',
			token: () => assembleJwt({ alg: ['RS256'], kid: rsa.kid }, claims(), 'AAAA'),
			reason: 'jwt_alg_not_allowed',
		},
		{
			name: 'ES256 header naming an RSA key (kty mismatch)',
			token: () => signWith({ alg: 'ES256', kid: rsa.kid }, claims(), privateKeyOf(attackerEc)),
			reason: 'jwt_key_alg_mismatch',
		},
		{
			name: 'RS256 header naming an EC key (kty mismatch)',
			token: () => signWith({ alg: 'RS256', kid: ec.kid }, claims(), privateKeyOf(attackerRsa)),
			reason: 'jwt_key_alg_mismatch',
		},
		{
			name: 'ES384 header naming a P-256 key (crv mismatch)',
			token: () => signWith({ alg: 'ES384', kid: ec.kid }, claims(), privateKeyOf(p384)),
			reason: 'jwt_key_alg_mismatch',
		},
		{
			name: 'PS256 correctly signed by an RSA key whose JWK says alg RS256 (JWK alg mismatch)',
			token: () => signWith({ alg: 'PS256', kid: rsa.kid }, claims(), privateKeyOf(rsa)),
			reason: 'jwt_key_alg_mismatch',
		},
		{
			name: 'ES256 signature in DER instead of r‖s',
			token: () => {
				const valid = signed(ec)
				const [h, p, s] = valid.split('.') as [string, string, string]
				const raw = Buffer.from(s, 'base64url')
				const integer = (bytes: Buffer) => {
					const trimmed = bytes[0] === 0 ? bytes.subarray(1) : bytes
					const body = (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed
					return Buffer.concat([Buffer.of(2, body.length), body])
				}
				const sequence = Buffer.concat([integer(raw.subarray(0, 32)), integer(raw.subarray(32))])
				const der = Buffer.concat([Buffer.of(0x30, sequence.length), sequence])
				return `${h}.${p}.${der.toString('base64url')}`
			},
			reason: 'jwt_signature_invalid',
		},
	]
	it.each(cases)('$name', expectRefused)
})

describe('key selection attacks', () => {
	const cases: Case[] = [
		{
			name: 'unknown kid (key not in the JWKS)',
			token: () => signed(unpublished),
			reason: 'jwt_unknown_kid',
		},
		{
			name: 'kid __proto__ does not reach Object.prototype',
			token: () => signWith({ alg: 'RS256', kid: '__proto__' }, claims(), privateKeyOf(rsa)),
			reason: 'jwt_unknown_kid',
		},
		{
			name: 'kid constructor does not reach Object.prototype',
			token: () => signWith({ alg: 'RS256', kid: 'constructor' }, claims(), privateKeyOf(rsa)),
			reason: 'jwt_unknown_kid',
		},
		{
			name: 'kid that is not a string',
			token: () => signWith({ alg: 'RS256', kid: 7 }, claims(), privateKeyOf(rsa)),
			reason: 'jwt_malformed',
		},
		{
			name: 'jku, x5u and jwk headers pointing at the attacker, attacker key and kid',
			token: () =>
				signWith(
					{
						alg: 'ES256',
						kid: attackerEc.kid,
						jku: attacker.jwksUri,
						x5u: attacker.jwksUri,
						jwk: attackerEc.publicJwk,
					},
					claims(),
					privateKeyOf(attackerEc),
				),
			reason: 'jwt_unknown_kid',
		},
		{
			name: 'embedded jwk header with a real kid, signed by the attacker',
			token: () =>
				signWith(
					{ alg: 'RS256', kid: rsa.kid, jwk: attackerRsa.publicJwk, jku: attacker.jwksUri },
					claims(),
					privateKeyOf(attackerRsa),
				),
			reason: 'jwt_signature_invalid',
		},
		{
			name: 'x5c header with a certificate chain, signed by the attacker',
			token: () =>
				signWith(
					{ alg: 'RS256', kid: rsa.kid, x5c: [Buffer.from('not a cert').toString('base64')] },
					claims(),
					privateKeyOf(attackerRsa),
				),
			reason: 'jwt_signature_invalid',
		},
		{
			name: 'RSA key under 2048 bits (refused when the JWKS was loaded)',
			token: () => signed(weak),
			reason: 'jwt_key_rejected',
		},
		{
			name: 'key published with use: enc',
			token: () => signed(encryptionKey),
			reason: 'jwt_key_rejected',
		},
		{
			name: 'RSA key whose JWK claims alg ES256',
			token: () => signed(mislabelled),
			reason: 'jwt_key_rejected',
		},
		{
			name: 'payload changed after signing',
			token: () => {
				const [h, , s] = signed(rsa).split('.')
				return `${h}.${encodePart(claims({ sub: 'admin' }))}.${s}`
			},
			reason: 'jwt_signature_invalid',
		},
		{
			name: 'signature of another token',
			token: () => {
				const [h, p] = signed(rsa).split('.')
				return `${h}.${p}.${signed(rsa, claims({ sub: 'other' })).split('.')[2]}`
			},
			reason: 'jwt_signature_invalid',
		},
		{
			// OpenSSL verifies an RSA-PSS signature given without its leading zero byte: only the
			// length check keeps a second spelling of the same token (another cache key) out.
			name: 'PS256 signature with its leading zero byte dropped',
			token: () => {
				for (let attempt = 0; attempt < 10_000; attempt++) {
					// PSS signatures are salted: signing again gives another one, 1 in 256 opening with 0.
					const [h, p, s] = signed(pss).split('.') as [string, string, string]
					const signature = Buffer.from(s, 'base64url')
					if (signature[0] === 0) return `${h}.${p}.${signature.subarray(1).toString('base64url')}`
				}
				throw new Error('no PS256 signature opened with a zero byte')
			},
			reason: 'jwt_signature_invalid',
		},
		{
			// RFC 7518 section 3.5: PS256's salt is as long as its hash; OpenSSL's default when
			// verifying would detect any salt length, and Node's default when signing is the longest.
			name: 'PS256 signed with the longest salt instead of the hash length',
			token: () => {
				const input = `${encodePart(header(pss))}.${encodePart(claims())}`
				const signature = sign('sha256', Buffer.from(input), {
					key: privateKeyOf(pss),
					padding: constants.RSA_PKCS1_PSS_PADDING,
					saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
				})
				return `${input}.${signature.toString('base64url')}`
			},
			reason: 'jwt_signature_invalid',
		},
		{
			name: 'signature one byte short',
			token: () => {
				const [h, p, s] = signed(rsa).split('.') as [string, string, string]
				return `${h}.${p}.${Buffer.from(s, 'base64url').subarray(1).toString('base64url')}`
			},
			reason: 'jwt_signature_invalid',
		},
	]
	it.each(cases)('$name', expectRefused)
})

describe('header extensions and types', () => {
	const cases: Case[] = [
		{
			name: 'crit naming a header we do not implement',
			token: () =>
				signed(rsa, claims(), {
					crit: ['urn:example:must-understand'],
					'urn:example:must-understand': 1,
				}),
			reason: 'jwt_crit_unsupported',
		},
		{
			name: 'crit with b64: false (unencoded payload)',
			token: () => signed(rsa, claims(), { crit: ['b64'], b64: false }),
			reason: 'jwt_crit_unsupported',
		},
		{
			name: 'empty crit (forbidden by RFC 7515)',
			token: () => signed(rsa, claims(), { crit: [] }),
			reason: 'jwt_crit_unsupported',
		},
		{
			name: 'typ JWT where at+jwt is required',
			token: () => signed(rsa, claims(), { typ: 'JWT' }),
			options: () => ({ typ: 'at+jwt' }),
			reason: 'jwt_typ_mismatch',
		},
		{
			name: 'no typ where at+jwt is required',
			token: () => signed(rsa),
			options: () => ({ typ: 'at+jwt' }),
			reason: 'jwt_typ_mismatch',
		},
	]
	it.each(cases)('$name', expectRefused)
})

describe('claims', () => {
	const cases: Case[] = [
		{
			name: 'expired',
			token: () => signed(rsa, claims({ exp: nowSec() - 10 })),
			reason: 'jwt_expired',
		},
		{
			name: 'expired beyond the clock tolerance',
			token: () => signed(rsa, claims({ exp: nowSec() - 10 })),
			options: () => ({ clockToleranceSec: 5 }),
			reason: 'jwt_expired',
		},
		{
			name: 'missing exp',
			token: () => signed(rsa, claims({ exp: undefined })),
			reason: 'jwt_claim_missing',
		},
		{
			name: 'exp as a string',
			token: () => signed(rsa, claims({ exp: String(nowSec() + 600) })),
			reason: 'jwt_claim_invalid',
		},
		{
			// JSON.parse reads 1e999 as Infinity: an exp that never passes unless non-finite numbers are refused.
			name: 'exp of 1e999 (Infinity once parsed)',
			token: () =>
				signedText(rsa, JSON.stringify(claims({ exp: undefined })).replace(/}$/, ',"exp":1e999}')),
			reason: 'jwt_claim_invalid',
		},
		{
			name: 'nbf in the future',
			token: () => signed(rsa, claims({ nbf: nowSec() + 60 })),
			reason: 'jwt_not_yet_valid',
		},
		{
			name: 'iat in the future beyond the tolerance',
			token: () => signed(rsa, claims({ iat: nowSec() + 60 })),
			options: () => ({ clockToleranceSec: 5 }),
			reason: 'jwt_iat_future',
		},
		{
			name: 'older than maxTokenAgeSec',
			token: () => signed(rsa, claims({ iat: nowSec() - 120 })),
			options: () => ({ maxTokenAgeSec: 60 }),
			reason: 'jwt_too_old',
		},
		{
			name: 'no iat with maxTokenAgeSec',
			token: () => signed(rsa, claims({ iat: undefined })),
			options: () => ({ maxTokenAgeSec: 60 }),
			reason: 'jwt_claim_missing',
		},
		{
			name: 'issuer not configured (no JWKS is fetched for it)',
			token: () => signed(attackerRsa, claims({ iss: attacker.issuer })),
			reason: 'jwt_unknown_issuer',
		},
		{
			name: 'issuer differing by a trailing slash',
			token: () => signed(rsa, claims({ iss: `${idp.issuer}/` })),
			reason: 'jwt_unknown_issuer',
		},
		{
			name: 'missing iss',
			token: () => signed(rsa, claims({ iss: undefined })),
			reason: 'jwt_claim_missing',
		},
		{
			name: 'iss that is not a string',
			token: () => signed(rsa, claims({ iss: [idp.issuer] })),
			reason: 'jwt_claim_invalid',
		},
		{
			name: 'wrong aud',
			token: () => signed(rsa, claims({ aud: 'other-api' })),
			reason: 'jwt_audience_mismatch',
		},
		{
			name: 'aud array without the audience',
			token: () => signed(rsa, claims({ aud: ['a', 'b'] })),
			reason: 'jwt_audience_mismatch',
		},
		{
			name: 'missing aud',
			token: () => signed(rsa, claims({ aud: undefined })),
			reason: 'jwt_claim_missing',
		},
		{
			name: 'aud array with a non-string',
			token: () => signed(rsa, claims({ aud: ['api', 1] })),
			reason: 'jwt_claim_invalid',
		},
		{
			name: 'missing sub',
			token: () => signed(rsa, claims({ sub: undefined })),
			reason: 'jwt_claim_missing',
		},
		{
			name: 'required claim missing',
			token: () => signed(rsa),
			options: () => ({ requiredClaims: ['jti'] }),
			reason: 'jwt_claim_missing',
		},
		{
			// A null claim carries no value: "required" means present with one, as for a missing claim.
			name: 'required claim present but null',
			token: () => signed(rsa, claims({ org: null })),
			options: () => ({ requiredClaims: ['org'] }),
			reason: 'jwt_claim_missing',
		},
		{
			name: 'scope that is neither a string nor an array of strings',
			token: () => signed(rsa, claims({ scope: ['items:read', { admin: true }] })),
			reason: 'jwt_claim_invalid',
		},
	]
	it.each(cases)('$name', expectRefused)
})

describe('Cognito token confusion', () => {
	const cases: Case[] = [
		{
			name: 'id token where an access token is required',
			token: () => signed(rsa, cognitoClaims('id')),
			options: () => cognito('access'),
			reason: 'jwt_token_use_mismatch',
		},
		{
			name: 'access token where an id token is required',
			token: () => signed(rsa, cognitoClaims('access')),
			options: () => cognito('id'),
			reason: 'jwt_token_use_mismatch',
		},
		{
			name: 'no token_use',
			token: () => signed(rsa, cognitoClaims('access', { token_use: undefined })),
			options: () => cognito('access'),
			reason: 'jwt_token_use_mismatch',
		},
		{
			name: 'access token of another app client',
			token: () => signed(rsa, cognitoClaims('access', { client_id: 'other-client' })),
			options: () => cognito('access'),
			reason: 'jwt_client_mismatch',
		},
		{
			name: 'id token for another app client',
			token: () => signed(rsa, cognitoClaims('id', { aud: 'other-client' })),
			options: () => cognito('id'),
			reason: 'jwt_client_mismatch',
		},
		{
			// Cognito names the app client in client_id for access tokens and in aud for id tokens,
			// never the other way: a claim in the other place must not stand in for the right one.
			name: 'access token naming the app client in aud only',
			token: () =>
				signed(rsa, cognitoClaims('access', { client_id: undefined, aud: 'app-client' })),
			options: () => cognito('access'),
			reason: 'jwt_client_mismatch',
		},
		{
			name: 'id token of another app client carrying a client_id of ours',
			token: () =>
				signed(rsa, cognitoClaims('id', { aud: 'other-client', client_id: 'app-client' })),
			options: () => cognito('id'),
			reason: 'jwt_client_mismatch',
		},
		{
			name: 'a token of another pool',
			token: () =>
				signed(rsa, cognitoClaims('access', { iss: cognitoIss.replace('Hostile1', 'Other2') })),
			options: () => cognito('access'),
			reason: 'jwt_unknown_issuer',
		},
	]
	it.each(cases)('$name', expectRefused)
})

describe('malformed tokens', () => {
	const valid = () => signed(rsa)
	const cases: Case[] = [
		{
			name: 'two parts',
			token: () => valid().split('.').slice(0, 2).join('.'),
			reason: 'jwt_malformed',
		},
		{ name: 'four parts', token: () => `${valid()}.AAAA`, reason: 'jwt_malformed' },
		{ name: 'empty header', token: () => valid().replace(/^[^.]+/, ''), reason: 'jwt_malformed' },
		{
			name: 'empty payload',
			token: () => valid().replace(/\.[^.]+\./, '..'),
			reason: 'jwt_malformed',
		},
		{
			name: 'base64 (not url) characters',
			token: () => {
				const [h, p, s] = valid().split('.') as [string, string, string]
				return `${h}.${Buffer.from(p, 'base64url').toString('base64').replace(/=+$/, '')}+/.${s}`
			},
			reason: 'jwt_malformed',
		},
		{ name: 'padding', token: () => `${valid()}==`, reason: 'jwt_malformed' },
		{
			// An ES384 signature is 96 bytes, 128 characters: a 129th character adds no byte when
			// decoded, so only the length rule keeps this second spelling of a valid token out.
			name: 'a lone character after a signature of whole base64url quads',
			token: () => `${signed(p384)}A`,
			reason: 'jwt_malformed',
		},
		{
			name: 'non-canonical last character (unused bits set)',
			token: () => {
				const token = valid()
				const [, , s] = token.split('.') as [string, string, string]
				const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
				const last = alphabet.indexOf(s.at(-1) ?? 'A')
				const unused = s.length % 4 === 2 ? 0x0f : 0x03
				return `${token.slice(0, -1)}${alphabet[last | unused]}`
			},
			reason: 'jwt_malformed',
		},
		{
			// The alphabet's last character: a signature ending in w has a twin ending in _ that
			// decodes to the same bytes, so only the canonical check keeps it from verifying.
			name: 'non-canonical last character _ (the twin of w)',
			token: () => {
				for (let attempt = 0; attempt < 1_000; attempt++) {
					const token = signed(rsa, claims({ jti: `twin-${attempt}` }))
					if (token.endsWith('w')) return `${token.slice(0, -1)}_`
				}
				throw new Error('no RS256 signature ended in w')
			},
			reason: 'jwt_malformed',
		},
		{
			name: 'header not JSON',
			token: () => assembleJwt('{"alg":', claims(), 'AAAA'),
			reason: 'jwt_malformed',
		},
		{
			name: 'payload not JSON',
			token: () => assembleJwt(header(rsa), 'not json', 'AAAA'),
			reason: 'jwt_malformed',
		},
		{
			name: 'payload a JSON array',
			token: () => assembleJwt(header(rsa), [claims()], 'AAAA'),
			reason: 'jwt_malformed',
		},
		{
			name: 'payload JSON null',
			token: () => assembleJwt(header(rsa), 'null', 'AAAA'),
			reason: 'jwt_malformed',
		},
		{
			name: 'payload a JSON string',
			token: () => assembleJwt(header(rsa), '"x"', 'AAAA'),
			reason: 'jwt_malformed',
		},
		{
			name: 'header a JSON number',
			token: () => assembleJwt('42', claims(), 'AAAA'),
			reason: 'jwt_malformed',
		},
		{
			name: 'payload not UTF-8',
			token: () =>
				`${encodePart(header(rsa))}.${Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')}.AAAA`,
			reason: 'jwt_malformed',
		},
		{
			name: 'over 16 KiB',
			token: () => signed(rsa, claims({ padding: 'x'.repeat(16_384) })),
			reason: 'jwt_too_large',
		},
		{ name: 'a random word', token: () => 'hello', reason: 'jwt_malformed' },
	]
	it.each(cases)('$name', expectRefused)
})

describe('authorisation (403)', () => {
	const cases: Case[] = [
		{
			name: 'a missing scope',
			token: () => signed(rsa, claims({ scope: 'items:read' })),
			options: () => ({ requiredScopes: ['items:read', 'items:write'] }),
			status: 403,
			challenge: 'Bearer realm="api", error="insufficient_scope", scope="items:read items:write"',
			reason: 'jwt_insufficient_scope',
		},
		{
			name: 'no tenant claim',
			token: () => signed(rsa, claims({ tenant_id: undefined })),
			status: 403,
			reason: 'jwt_tenant_missing',
		},
		{
			name: 'a tenant id with path characters',
			token: () => signed(rsa, claims({ tenant_id: '../other' })),
			status: 403,
			reason: 'jwt_tenant_invalid',
		},
		{
			name: 'tenant claims that name different tenants',
			token: () => signed(rsa, claims({ 'custom:tenant_id': 'globex', tenant_id: 'acme' })),
			status: 403,
			reason: 'jwt_tenant_conflict',
		},
		{
			name: 'a valid tenant claim beside an invalid one',
			token: () => signed(rsa, claims({ 'custom:tenant_id': 'acme', tenant_id: '../acme' })),
			status: 403,
			reason: 'jwt_tenant_invalid',
		},
		{
			name: 'a tenant id that is not a string',
			token: () => signed(rsa, claims({ tenant_id: { id: 'acme' } })),
			status: 403,
			reason: 'jwt_tenant_invalid',
		},
		{
			name: 'a Cognito token outside the required groups',
			token: () => signed(rsa, cognitoClaims('access', { 'cognito:groups': ['readers'] })),
			options: () => ({
				issuers: undefined,
				cognito: {
					userPoolId: pool,
					clientId: 'app-client',
					tokenUse: 'access',
					groups: ['admins'],
					jwksUri: idp.jwksUri,
				},
			}),
			status: 403,
			reason: 'jwt_group_missing',
		},
	]
	it.each(cases)('$name', (testCase) => expectRefused({ challenge: null, ...testCase }))
})

describe('the credential itself', () => {
	const send = async (headers: Record<string, string>) => {
		const run = pipeline(options())
		const outcome = await run.invoke(httpApiEvent({ headers }))
		expect(run.seen).toEqual([])
		return { outcome, reason: run.lastReason() }
	}

	it('answers a missing token with a bare challenge', async () => {
		const { outcome, reason } = await send({})
		expectRejected(outcome, 401, 'Bearer realm="api"')
		expect(reason).toBe('jwt_missing')
	})

	it('treats another scheme as no bearer token', async () => {
		const { outcome, reason } = await send({ authorization: 'Basic dXNlcjpwYXNz' })
		expectRejected(outcome, 401, 'Bearer realm="api"')
		expect(reason).toBe('jwt_missing')
	})

	it('refuses two tokens in one header', async () => {
		const token = signed(rsa)
		const { outcome, reason } = await send({ authorization: `Bearer ${token} ${token}` })
		expectRejected(outcome, 401, invalidToken)
		expect(reason).toBe('jwt_malformed')
	})

	it('refuses tokens sent under two spellings of Authorization, in either event record', async () => {
		// A REST API event keeps names as the client spelled them: reading one copy would let the
		// client choose which token counts, whatever a proxy in front checked.
		const headers = {
			Authorization: `Bearer ${signed(rsa)}`,
			authorization: `Bearer ${signed(rsa, claims({ sub: 'other' }))}`,
		}
		const multiValue = restApiEvent({ headers })
		const singleValue = { ...restApiEvent({ headers }), multiValueHeaders: {} }
		for (const event of [multiValue, singleValue]) {
			const run = pipeline(options())
			expectRejected(await run.invoke(event), 401, invalidToken)
			expect(run.lastReason()).toBe('jwt_malformed')
			expect(run.seen).toEqual([])
		}
	})

	it('refuses a session cookie sent twice with two tokens, whichever copy comes first', async () => {
		// Cookie tossing: a sibling domain sets its own `session`, which the browser may send first.
		const [mine, tossed] = [signed(rsa), signed(rsa, claims({ sub: 'other' }))]
		const events = [
			restApiEvent({ headers: { Cookie: `session=${tossed}`, cookie: `session=${mine}` } }),
			restApiEvent({ headers: { Cookie: `session=${tossed}; theme=dark; session=${mine}` } }),
			httpApiEvent({ headers: { cookie: `session=${tossed}; session=${mine}` } }),
		]
		for (const event of events) {
			const run = pipeline(options({ tokenSource: { cookie: 'session' } }))
			expectRejected(await run.invoke(event), 401, invalidToken)
			expect(run.lastReason()).toBe('jwt_malformed')
			expect(run.seen).toEqual([])
		}
		const twice = pipeline(options({ tokenSource: { cookie: 'session' } }))
		const sameTokenTwice = httpApiEvent({ headers: { cookie: `session=${mine}; session=${mine}` } })
		expect(await twice.invoke(sameTokenTwice)).toMatchObject({ statusCode: 200 })
	})

	it('refuses a cross-site write with a cookie token however Sec-Fetch-Site is repeated', async () => {
		// A browser sends one value; two copies (two lines, two spellings) come from no browser
		// and fail closed: one saying cross-site refuses the request, whichever copy it is.
		const cookie = `session=${signed(rsa)}`
		const orders = [
			{ 'Sec-Fetch-Site': 'same-origin', 'sec-fetch-site': 'cross-site' },
			{ 'Sec-Fetch-Site': 'cross-site', 'sec-fetch-site': 'same-origin' },
		]
		const events = orders.flatMap((sites) => [
			httpApiEvent({ method: 'POST', headers: { cookie, ...sites } }),
			functionUrlEvent({ method: 'PUT', headers: { cookie, ...sites } }),
			restApiEvent({ method: 'DELETE', headers: { Cookie: cookie, ...sites } }),
			{
				...restApiEvent({ method: 'PATCH', headers: { Cookie: cookie, ...sites } }),
				multiValueHeaders: {},
			},
			albEvent({ method: 'POST', headers: { cookie, ...sites }, multiValue: true }),
		])
		const lines = restApiEvent({ method: 'POST', headers: { Cookie: cookie } })
		events.push(
			{
				...lines,
				multiValueHeaders: {
					...lines.multiValueHeaders,
					'Sec-Fetch-Site': ['same-site', 'cross-site'],
				},
			},
			{
				...lines,
				multiValueHeaders: { ...lines.multiValueHeaders, 'sec-fetch-site': ['cross-site', 'none'] },
			},
		)
		for (const event of events) {
			const run = pipeline(options({ tokenSource: { cookie: 'session' } }))
			expectRejected(await run.invoke(event as HttpEventLike), 403, null)
			expect(run.lastReason()).toBe('jwt_cross_site_request')
			expect(run.seen).toEqual([])
		}
		// An ALB target group without multi-value headers passes only the last copy: it has chosen.
		const [sameOriginFirst, crossSiteFirst] = orders.map((sites) =>
			albEvent({ method: 'POST', headers: { cookie, ...sites } }),
		)
		const alb = pipeline(options({ tokenSource: { cookie: 'session' } }))
		expectRejected(await alb.invoke(sameOriginFirst as HttpEventLike), 403, null)
		expect(await alb.invoke(crossSiteFirst as HttpEventLike)).toMatchObject({ statusCode: 200 })
	})

	it('refuses a huge Authorization header before parsing it', async () => {
		const { outcome, reason } = await send({ authorization: `Bearer ${'a'.repeat(100_000)}` })
		expectRejected(outcome, 401, invalidToken)
		expect(reason).toBe('jwt_too_large')
	})

	it('gives every invalid token the same status, headers and body', async () => {
		const outcomes = await Promise.all(
			[signed(unpublished), signed(rsa, claims({ exp: nowSec() - 1 })), 'x.y.z'].map(
				async (token) => {
					const run = pipeline(options())
					return run.withToken(token)
				},
			),
		)
		for (const outcome of outcomes) expect(outcome).toEqual(outcomes[0])
	})
})
