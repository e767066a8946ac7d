import { constants, type KeyObject, sign, type webcrypto } from 'node:crypto'
import {
	type LocalIdentityProvider,
	type SigningAlgorithm,
	type SigningKey,
	startIdentityProvider,
} from '@tenantry/testing'
import fc from 'fast-check'
import { createLocalJWKSet, type JWK, jwtVerify, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type JwsAlgorithm, supportedAlgorithms } from '../src/index.js'
import {
	claimsOf,
	highS,
	isCanonical,
	padded,
	pipeline,
	privateKeyOf,
	readPart,
	serveJwks,
	withTrailingBits,
} from './helpers.js'

// jwtAuth verifies JWTs itself. Here its decisions are held against jose's `jwtVerify` with a
// `createLocalJWKSet` of the very JWKS the middleware fetches, and the options that say the same
// thing (issuer, audience, algorithms, clockTolerance, typ, `exp` required), on tokens signed with
// real keys made by jose and then perturbed: header `alg` against the key's `kty`/`crv`/`alg`,
// `kid` missing, unknown or listed twice, `typ`, `crit`, `b64`, the time claims around now, `iss`
// and `aud` look-alikes, `sub`, JSON oddities, non-canonical base64url, mangled signatures, and
// JWKS keys with `use: enc`, `key_ops` without `verify`, another `alg` or private members.
//
// jwtAuth must never accept a token jose refuses; the one exception is a JWKS in which several
// keys match (`JWKSMultipleMatchingKeys`), which jose leaves to the caller and documents the
// iteration for: there jose's own iteration over the matching keys must accept it. Where jwtAuth
// refuses a token jose accepts, the token must fall under one of the differences the README
// documents (`deliberate`), with that difference's reason code.
const numRuns = Number(process.env.TENANTRY_PROPERTY_RUNS ?? 1_500)
/** A whole second: jose reads its clock in whole seconds, jwtAuth in milliseconds. */
const startMs = 1_800_000_000_000
const maxTokenLength = 16_384

type PoolName = 'rsa' | 'rsa2' | 'rsaWeak' | 'p256' | 'p256b' | 'p384' | 'p521' | 'ed25519'
const poolNames: readonly PoolName[] = ['rsa', 'rsa2', 'p256', 'p256b', 'p384', 'p521', 'ed25519']

interface PoolKey {
	readonly signing: SigningKey
	readonly privateKey: KeyObject
	/** The public JWK without `kid`, `alg`, `use`. */
	readonly material: JWK
	/** `d` and the other private members, for a JWKS that publishes them by mistake. */
	readonly privateMembers: JWK
	/** Algorithms this key signs with. */
	readonly algorithms: readonly JwsAlgorithm[]
}

const rsaAlgorithms: readonly JwsAlgorithm[] = [
	'RS256',
	'RS384',
	'RS512',
	'PS256',
	'PS384',
	'PS512',
]
const poolSpecs: Record<PoolName, { alg: SigningAlgorithm; bits?: number; algs: JwsAlgorithm[] }> =
	{
		rsa: { alg: 'RS256', algs: [...rsaAlgorithms] },
		rsa2: { alg: 'PS256', algs: [...rsaAlgorithms] },
		// PS384 and PS512 do not fit a 1024-bit modulus.
		rsaWeak: { alg: 'RS256', bits: 1024, algs: ['RS256', 'RS384', 'RS512', 'PS256'] },
		p256: { alg: 'ES256', algs: ['ES256'] },
		p256b: { alg: 'ES256', algs: ['ES256'] },
		p384: { alg: 'ES384', algs: ['ES384'] },
		p521: { alg: 'ES512', algs: ['ES512'] },
		ed25519: { alg: 'EdDSA', algs: ['EdDSA'] },
	}

// ---------------------------------------------------------------------------------------------
// Scenarios: every dimension has a clean value (what a real IdP issues) and an odd one; a run
// takes the odd value of up to three dimensions, so most tokens differ from a valid one in one
// or two places, and a third of them in none.

const jsonMember = fc.constantFrom<string | undefined>(undefined)
const clean = {
	signer: fc.constantFrom<PoolName>(...poolNames),
	algIndex: fc.nat(5),
	headerAlg: fc.constant('signed'),
	kid: fc.constant('signer'),
	published: fc.constantFrom('kid', 'kid', 'kid', 'noKid'),
	jwkAlg: fc.constantFrom('signed', 'absent'),
	jwkUse: fc.constantFrom<string | undefined>('sig', undefined),
	jwkKeyOps: fc.constantFrom<unknown>(undefined, undefined, ['verify']),
	jwkPrivate: fc.constant(false),
	jwkExt: fc.constantFrom<unknown>(undefined, true),
	jwkLeadingZero: fc.constant(false),
	others: fc.array(
		fc.record({
			key: fc.constantFrom<PoolName>(...poolNames),
			kid: fc.constant('own'),
			alg: fc.constantFrom('natural', 'absent'),
		}),
		{ maxLength: 3 },
	),
	typ: fc.constantFrom<unknown>('configured', 'configured', 'JWT', undefined),
	crit: fc.constant<unknown>(undefined),
	b64: fc.constant<unknown>(undefined),
	extraHeader: fc.constantFrom<string | undefined>(undefined, undefined, 'x5t'),
	headerJson: fc.constantFrom('plain', 'plain', 'whitespace'),
	iss: fc.constant('exact'),
	aud: fc.constantFrom('configured', 'array'),
	sub: fc.constantFrom<unknown>('user-1', 'auth0|5f7c8ec7c33c6c004bbafe82'),
	exp: fc.integer({ min: 1, max: 86_400 }).map(String),
	nbf: fc.oneof(jsonMember, fc.integer({ min: -600, max: 0 }).map(String)),
	iat: fc.oneof(jsonMember, fc.integer({ min: -600, max: 0 }).map(String)),
	scope: fc.constantFrom<unknown>(undefined, 'items:read', ['items:read', 'items:write']),
	payloadJson: fc.constantFrom('plain', 'plain', 'whitespace', 'unicode'),
	encoding: fc.constantFrom('canonical', 'canonical', 'jose'),
	algorithms: fc.constantFrom('all', 'withSigned'),
	size: fc.constant('small'),
}

/** Seconds from now as JSON text: boundaries, fractions, and values of every other type. */
const oddTime = fc.oneof(
	fc.integer({ min: -310, max: 310 }).map(String),
	fc.integer({ min: -310, max: 310 }).map((seconds) => String(seconds + 0.5)),
	fc.constantFrom('0', '-1', '1', '0.001', '-0.001', '-0.999', '0.999'),
	fc.constantFrom('abs:0', 'abs:-1', 'abs:1e12', 'abs:1e308', 'abs:-1e308', 'abs:1e400'),
	fc.constantFrom('abs:-1e400', 'abs:"1900000000"', 'abs:null', 'abs:true', 'abs:[1900000000]'),
)
const odd = {
	signer: fc.constantFrom<PoolName>('rsaWeak'),
	algIndex: fc.nat(5),
	headerAlg: fc.constantFrom<unknown>(
		...supportedAlgorithms,
		'none',
		'HS256',
		'Ed25519',
		'rs256',
		'ES256K',
		'',
		5,
		null,
		'absent',
	),
	kid: fc.constantFrom<unknown>('absent', 'unknown', 'other', 7, '', '__proto__', 'toString'),
	published: fc.constantFrom('unpublished', 'noKid'),
	jwkAlg: fc.constantFrom('other', 'otherFamily', 'HS256', 'Ed25519', 'RSA-OAEP', 'lowercase'),
	jwkUse: fc.constantFrom<string | undefined>('enc', 'Sig', '', 'sig '),
	jwkKeyOps: fc.constantFrom<unknown>(
		['sign'],
		[],
		['verify', 'sign'],
		'verify',
		['encrypt'],
		['verify', 'verify'],
		['verify', 1],
		['Verify'],
	),
	jwkPrivate: fc.constant(true),
	jwkExt: fc.constantFrom<unknown>(false, 'true', 0),
	jwkLeadingZero: fc.constant(true),
	others: fc.array(
		fc.record({
			key: fc.constantFrom<PoolName>(...poolNames, 'rsaWeak'),
			kid: fc.constantFrom('own', 'signer', 'none'),
			alg: fc.constantFrom('natural', 'absent', 'signed'),
		}),
		{ minLength: 1, maxLength: 3 },
	),
	typ: fc.constantFrom<unknown>(
		'at+jwt',
		'AT+JWT',
		'application/at+jwt',
		'Application/AT+JWT',
		'JWT',
		'jwt',
		'application/jwt',
		'text/at+jwt',
		'at+jwt ',
		'application/application/at+jwt',
		'',
		5,
		null,
		['at+jwt'],
	),
	crit: fc.constantFrom<unknown>(
		'b64:true',
		'b64:false',
		['b64'],
		[],
		['exp'],
		'b64',
		['b64', 'b64'],
		[''],
		['x'],
		null,
	),
	b64: fc.constantFrom<unknown>(true, false, 'false'),
	extraHeader: fc.constantFrom<string | undefined>('jku', 'x5u', 'jwk', 'x5c', 'zip'),
	headerJson: fc.constantFrom(
		'duplicateAlgFirst',
		'duplicateAlgLast',
		'duplicateKid',
		'proto',
		'bom',
		'array',
		'string',
		'null',
		'notJson',
		'badUtf8',
		'loneSurrogate',
	),
	iss: fc.constantFrom(
		'trailingSlash',
		'upper',
		'spaced',
		'array',
		'missing',
		'number',
		'null',
		'https',
		'nul',
	),
	aud: fc.constantFrom(
		'arrayWithout',
		'lookAlikeCase',
		'lookAlikeSpace',
		'lookAlikeSlash',
		'missing',
		'emptyArray',
		'arrayNonString',
		'number',
		'null',
		'empty',
		'nested',
	),
	sub: fc.constantFrom<unknown>('absent', '', 5, null, ['user-1'], ' '),
	exp: fc.oneof(oddTime, fc.constant('absent')),
	nbf: oddTime,
	iat: oddTime,
	scope: fc.constantFrom<unknown>(5, ['items:read', 5], {}, ''),
	payloadJson: fc.constantFrom(
		'duplicateExpFirst',
		'duplicateExpLast',
		'duplicateIss',
		'proto',
		'bom',
		'array',
		'string',
		'number',
		'null',
		'notJson',
		'badUtf8',
		'loneSurrogate',
		'trailingComma',
		'trailingGarbage',
	),
	encoding: fc.constantFrom(
		'paddedHeader',
		'paddedPayload',
		'paddedSignature',
		'plusSlash',
		'trailingBitsHeader',
		'trailingBitsPayload',
		'trailingBitsSignature',
		'spaceInPayload',
		'signatureTruncated',
		'signatureExtended',
		'signatureExtended4',
		'signatureEmpty',
		'signatureFlipped',
		'signatureOtherKey',
		'fourParts',
		'twoParts',
		'highS',
		'der',
		'pssSaltMax',
		'unsigned',
	),
	algorithms: fc.constant('withoutSigned'),
	size: fc.constantFrom('nearCap', 'overCap'),
}
type Dimension = keyof typeof clean
const dimensions = Object.keys(clean) as Dimension[]

const options = fc.record({
	toleranceSec: fc.constantFrom(0, 0, 1, 5, 60, 300),
	audience: fc.constantFrom<'api' | 'list' | null>('api', 'list', null),
	typ: fc.constantFrom<string | undefined>(
		undefined,
		undefined,
		'at+jwt',
		'JWT',
		'application/at+jwt',
	),
	algorithmSubset: fc.subarray([...supportedAlgorithms], { minLength: 1 }),
	nowSec: fc.integer({ min: 0, max: 1_000_000 }).map((seconds) => startMs / 1000 + seconds),
})

const scenario = fc
	.record({
		clean: fc.record(clean),
		odd: fc.record(odd),
		perturbed: fc.oneof(
			{ weight: 1, arbitrary: fc.constant<Dimension[]>([]) },
			{
				weight: 2,
				arbitrary: fc.uniqueArray(fc.constantFrom(...dimensions), { minLength: 1, maxLength: 3 }),
			},
		),
		options,
	})
	.map(({ clean: c, odd: o, perturbed, options }): Scenario => {
		const picked: Record<Dimension, unknown> = { ...c }
		for (const dimension of perturbed) picked[dimension] = o[dimension]
		return { ...(picked as Picked), perturbed, options }
	})
type ValueOf<A> = A extends fc.Arbitrary<infer V> ? V : never
/** Each dimension's clean or odd value. */
type Picked = {
	[D in Dimension]: ValueOf<(typeof clean)[D]> | ValueOf<(typeof odd)[D]>
}
type Scenario = Picked & {
	readonly perturbed: readonly Dimension[]
	readonly options: ValueOf<typeof options>
}

// ---------------------------------------------------------------------------------------------
// Building the JWKS and the token.

const signatureOf = (
	alg: JwsAlgorithm,
	input: Buffer,
	key: KeyObject,
	variant: 'p1363' | 'der' | 'pssSaltMax' = 'p1363',
): Buffer => {
	if (alg === 'EdDSA') return sign(null, input, key)
	const hash = `sha${alg.slice(2)}`
	if (alg.startsWith('PS'))
		return sign(hash, input, {
			key,
			padding: constants.RSA_PKCS1_PSS_PADDING,
			saltLength:
				variant === 'pssSaltMax'
					? constants.RSA_PSS_SALTLEN_MAX_SIGN
					: constants.RSA_PSS_SALTLEN_DIGEST,
		})
	if (alg.startsWith('ES'))
		return sign(hash, input, { key, dsaEncoding: variant === 'der' ? 'der' : 'ieee-p1363' })
	return sign(hash, input, key)
}

const members = (entries: readonly (readonly [string, string])[]): string =>
	`{${entries.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`

interface Built {
	readonly token: string
	readonly jwks: { keys: JWK[] }
	/** The JWK of the key that signed, as published (or would have been). */
	readonly signerJwk: JWK
}

const algorithmFor = (s: Scenario): JwsAlgorithm => {
	const { algs } = poolSpecs[s.signer]
	return algs[s.algIndex % algs.length] ?? 'RS256'
}

const buildJwks = (s: Scenario, pool: Record<PoolName, PoolKey>, signed: JwsAlgorithm) => {
	const signer = pool[s.signer]
	const signerKid = `${s.signer}-key`
	const jwk: Record<string, unknown> = { ...signer.material }
	if (s.published !== 'noKid') jwk.kid = signerKid
	const otherFamily: JwsAlgorithm = signed.startsWith('ES') ? 'RS256' : 'ES256'
	const sameFamilyOther =
		signer.algorithms.find((alg) => alg !== signed) ??
		(signed === 'EdDSA' ? 'ES256' : signed === 'ES256' ? 'ES384' : 'ES256')
	const jwkAlg: Record<string, unknown> = {
		signed,
		absent: undefined,
		other: sameFamilyOther,
		otherFamily,
		HS256: 'HS256',
		Ed25519: 'Ed25519',
		'RSA-OAEP': 'RSA-OAEP',
		lowercase: signed.toLowerCase(),
	}
	const alg = jwkAlg[String(s.jwkAlg)]
	if (alg !== undefined) jwk.alg = alg
	if (s.jwkUse !== undefined) jwk.use = s.jwkUse
	if (s.jwkKeyOps !== undefined) jwk.key_ops = s.jwkKeyOps
	if (s.jwkExt !== undefined) jwk.ext = s.jwkExt
	if (s.jwkPrivate) Object.assign(jwk, signer.privateMembers)
	if (s.jwkLeadingZero && typeof jwk.n === 'string')
		jwk.n = Buffer.concat([Buffer.alloc(1), Buffer.from(jwk.n, 'base64url')]).toString('base64url')
	const keys: JWK[] = s.published === 'unpublished' ? [] : [jwk as JWK]
	s.others.forEach((other, index) => {
		const key = pool[other.key]
		const entry: Record<string, unknown> = { ...key.material, use: 'sig' }
		if (other.kid === 'own') entry.kid = `${other.key}-other-${index}`
		if (other.kid === 'signer') entry.kid = signerKid
		if (other.alg === 'natural') entry.alg = poolSpecs[other.key].alg
		if (other.alg === 'signed') entry.alg = signed
		keys.push(entry as JWK)
	})
	return { keys, signerJwk: jwk as JWK, signerKid }
}

const headerKid = (s: Scenario, signerKid: string, keys: readonly JWK[]): unknown => {
	switch (s.kid) {
		case 'signer':
			return s.published === 'noKid' ? undefined : signerKid
		case 'absent':
			return undefined
		case 'unknown':
			return 'no-such-key'
		case 'other':
			return keys.find((key) => key.kid !== undefined && key.kid !== signerKid)?.kid ?? 'none'
		default:
			return s.kid
	}
}

const headerText = (s: Scenario, header: Record<string, unknown>): Buffer => {
	const entries = Object.entries(header)
		.filter(([, value]) => value !== undefined)
		.map(([name, value]) => [name, JSON.stringify(value)] as const)
	const plain = members(entries)
	switch (s.headerJson) {
		case 'whitespace':
			return Buffer.from(JSON.stringify(JSON.parse(plain), null, 2))
		case 'duplicateAlgFirst':
			return Buffer.from(members([['alg', '"none"'], ...entries]))
		case 'duplicateAlgLast':
			return Buffer.from(members([...entries, ['alg', '"none"']]))
		case 'duplicateKid':
			return Buffer.from(members([['kid', '"no-such-key"'], ...entries]))
		case 'proto':
			return Buffer.from(members([...entries, ['__proto__', '{"alg":"none","crit":["x"]}']]))
		case 'bom':
			return Buffer.from(`\uFEFF${plain}`)
		case 'array':
			return Buffer.from(`[${plain}]`)
		case 'string':
			return Buffer.from(JSON.stringify(plain))
		case 'null':
			return Buffer.from('null')
		case 'notJson':
			return Buffer.from(plain.slice(0, -1))
		case 'badUtf8':
			return Buffer.concat([
				Buffer.from(plain.slice(0, -1)),
				Buffer.from(',"x":"'),
				Buffer.from([0xc3, 0x28]),
				Buffer.from('"}'),
			])
		case 'loneSurrogate':
			return Buffer.from(members([...entries, ['x', '"\\ud800"']]))
		default:
			return Buffer.from(plain)
	}
}

const payloadText = (s: Scenario, issuer: string, nowSec: number): Buffer => {
	const time = (text: string | undefined): string | undefined => {
		if (text === undefined || text === 'absent') return undefined
		if (text.startsWith('abs:')) return text.slice(4)
		return String(nowSec + Number(text))
	}
	const iss: Record<string, unknown> = {
		exact: issuer,
		trailingSlash: `${issuer}/`,
		upper: issuer.toUpperCase(),
		spaced: ` ${issuer}`,
		array: [issuer],
		missing: undefined,
		number: 1,
		null: null,
		https: issuer.replace('http:', 'https:'),
		nul: `${issuer}\u0000`,
	}
	const audiences: Record<string, unknown> = {
		configured: 'api',
		array: ['other', 'api'],
		arrayWithout: ['other', 'apis'],
		lookAlikeCase: 'API',
		lookAlikeSpace: 'api ',
		lookAlikeSlash: 'api/',
		missing: undefined,
		emptyArray: [],
		arrayNonString: ['api', 5],
		number: 5,
		null: null,
		empty: '',
		nested: [['api']],
	}
	const entries: [string, string | undefined][] = [
		['iss', JSON.stringify(iss[s.iss])],
		['sub', s.sub === 'absent' ? undefined : JSON.stringify(s.sub)],
		['aud', JSON.stringify(audiences[s.aud])],
		['exp', time(s.exp)],
		['nbf', time(s.nbf)],
		['iat', time(s.iat)],
		['scope', JSON.stringify(s.scope)],
		['jti', '"0b7c4c1e-8f0e-4d55-9a3e-1f1f5e0c2a11"'],
	]
	if (s.payloadJson === 'unicode') entries.push(['name', '"Zoë Łukasz 🦊"'])
	if (s.size === 'nearCap') entries.push(['pad', JSON.stringify('x'.repeat(11_000))])
	if (s.size === 'overCap') entries.push(['pad', JSON.stringify('x'.repeat(12_600))])
	const present = entries.filter((entry): entry is [string, string] => entry[1] !== undefined)
	const plain = members(present)
	switch (s.payloadJson) {
		case 'whitespace':
			return Buffer.from(` ${members(present).replaceAll(',', ' ,\n\t')} `)
		case 'duplicateExpFirst':
			return Buffer.from(members([['exp', String(nowSec - 3600)], ...present]))
		case 'duplicateExpLast':
			return Buffer.from(members([...present, ['exp', String(nowSec - 3600)]]))
		case 'duplicateIss':
			return Buffer.from(members([['iss', '"https://evil.example"'], ...present]))
		case 'proto':
			return Buffer.from(
				members([...present, ['__proto__', '{"sub":"admin","aud":"api","exp":99999999999}']]),
			)
		case 'bom':
			return Buffer.from(`\uFEFF${plain}`)
		case 'array':
			return Buffer.from(`[${plain}]`)
		case 'string':
			return Buffer.from(JSON.stringify(plain))
		case 'number':
			return Buffer.from('1')
		case 'null':
			return Buffer.from('null')
		case 'notJson':
			return Buffer.from(plain.slice(0, -1))
		case 'badUtf8':
			return Buffer.concat([
				Buffer.from(plain.slice(0, -1)),
				Buffer.from(',"x":"'),
				Buffer.from([0xff]),
				Buffer.from('"}'),
			])
		case 'loneSurrogate':
			return Buffer.from(members([...present, ['x', '"\\udc00"']]))
		case 'trailingComma':
			return Buffer.from(`${plain.slice(0, -1)},}`)
		case 'trailingGarbage':
			return Buffer.from(`${plain}x`)
		default:
			return Buffer.from(plain)
	}
}

const buildToken = async (
	s: Scenario,
	pool: Record<PoolName, PoolKey>,
	issuer: string,
): Promise<Built> => {
	const signed = algorithmFor(s)
	const signer = pool[s.signer]
	const { keys, signerJwk, signerKid } = buildJwks(s, pool, signed)
	const { typ: configuredTyp } = s.options
	const header: Record<string, unknown> = {
		alg: s.headerAlg === 'signed' ? signed : s.headerAlg === 'absent' ? undefined : s.headerAlg,
		kid: headerKid(s, signerKid, keys),
		typ: s.typ === 'configured' ? (configuredTyp ?? 'at+jwt') : s.typ,
		crit: typeof s.crit === 'string' && s.crit.startsWith('b64:') ? ['b64'] : s.crit,
		b64: s.crit === 'b64:true' ? true : s.crit === 'b64:false' ? false : s.b64,
	}
	const extras: Record<string, unknown> = {
		x5t: 'Y2VydGlmaWNhdGUtdGh1bWJwcmludA',
		jku: 'https://evil.example/jwks.json',
		x5u: 'https://evil.example/cert.pem',
		jwk: { ...pool.p256b.material },
		x5c: ['MIIB'],
		zip: 'DEF',
	}
	if (s.extraHeader !== undefined) header[s.extraHeader] = extras[s.extraHeader]
	if (Array.isArray(s.crit) && s.crit.includes('x')) header.x = 1
	const nowSec = s.options.nowSec
	const headerBytes = headerText(s, header)
	const payloadBytes = payloadText(s, issuer, nowSec)

	// jose signs the plain tokens itself (its JSON, its base64url) when the key's CryptoKey fits.
	if (
		s.encoding === 'jose' &&
		s.signer !== 'rsaWeak' &&
		s.headerJson !== 'whitespace' &&
		s.payloadJson === 'plain' &&
		signer.signing.alg === signed &&
		header.alg === signed &&
		header.crit === undefined
	) {
		const claims = JSON.parse(payloadBytes.toString('utf8')) as Record<string, unknown>
		const protectedHeader = Object.fromEntries(
			Object.entries(header).filter(([, value]) => value !== undefined),
		) as { alg: string }
		// jose refuses to sign some of what it verifies (a claim of 1e400): those are signed below.
		const token = await new SignJWT(claims)
			.setProtectedHeader(protectedHeader)
			.sign(signer.signing.privateKey)
			.catch(() => undefined)
		if (token !== undefined) return { token, jwks: { keys }, signerJwk }
	}

	let headerPart = headerBytes.toString('base64url')
	let payloadPart = payloadBytes.toString('base64url')
	switch (s.encoding) {
		case 'paddedHeader':
			headerPart = padded(headerPart)
			break
		case 'paddedPayload':
			payloadPart = padded(payloadPart)
			break
		case 'plusSlash':
			headerPart = headerBytes.toString('base64')
			payloadPart = payloadBytes.toString('base64').replaceAll('=', '')
			break
		case 'trailingBitsHeader':
			headerPart = withTrailingBits(headerPart)
			break
		case 'trailingBitsPayload':
			payloadPart = withTrailingBits(payloadPart)
			break
		case 'spaceInPayload':
			payloadPart = `${payloadPart.slice(0, 8)} ${payloadPart.slice(8)}`
			break
	}
	const input = `${headerPart}.${payloadPart}`
	const variant =
		s.encoding === 'der' ? 'der' : s.encoding === 'pssSaltMax' ? 'pssSaltMax' : 'p1363'
	let signature =
		s.encoding === 'unsigned'
			? Buffer.alloc(0)
			: signatureOf(signed, Buffer.from(input), signer.privateKey, variant)
	if (s.encoding === 'highS') signature = highS(signed, signature)
	if (s.encoding === 'signatureFlipped') {
		const middle = signature.length >> 1
		signature[middle] = (signature[middle] ?? 0) ^ 1
	}
	if (s.encoding === 'signatureOtherKey') {
		const other = s.signer === 'p256' ? pool.p256b : s.signer === 'rsa' ? pool.rsa2 : pool.rsa
		const otherAlg = other.algorithms.includes(signed) ? signed : (other.algorithms[0] ?? 'RS256')
		signature = signatureOf(otherAlg, Buffer.from(input), other.privateKey)
	}
	let signaturePart = signature.toString('base64url')
	switch (s.encoding) {
		case 'paddedSignature':
			signaturePart = padded(signaturePart)
			break
		case 'trailingBitsSignature':
			signaturePart = withTrailingBits(signaturePart)
			break
		case 'signatureTruncated':
			signaturePart = signaturePart.slice(0, -1)
			break
		case 'signatureExtended':
			signaturePart = `${signaturePart}AA`
			break
		case 'signatureExtended4':
			signaturePart = `${signaturePart}AAAA`
			break
		case 'signatureEmpty':
			signaturePart = ''
			break
		case 'plusSlash':
			signaturePart = signature.toString('base64').replaceAll('=', '')
			break
	}
	let token = `${input}.${signaturePart}`
	if (s.encoding === 'fourParts') token = `${token}.`
	if (s.encoding === 'twoParts') token = input
	return { token, jwks: { keys }, signerJwk }
}

// ---------------------------------------------------------------------------------------------
// jose's decision, and what jwtAuth refuses on purpose.

interface JoseDecision {
	/** `jwtVerify` as it is. */
	readonly accepts: boolean
	/** Its error's `code` (a `DOMException`'s `name`). */
	readonly code: string | undefined
	/**
	 * Where jose leaves the last step to its caller or to WebCrypto: with several matching keys
	 * (`JWKSMultipleMatchingKeys`), whether one of them verifies the token, iterated as jose's
	 * documentation shows; and a public key whose `key_ops` list `sign` beside `verify`, which
	 * WebCrypto will not import (a `SyntaxError`), taken with `key_ops: ['verify']`.
	 */
	readonly acceptsAsAdvised: boolean
}

/** Errors after which jose's caller may still accept the token, as `acceptsAsAdvised` says. */
const leftToCaller = new Set(['ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'SyntaxError'])

const errorCode = (error: unknown): string | undefined => {
	const { code, name } = error as { code?: unknown; name?: unknown }
	if (typeof code === 'string') return code
	return typeof name === 'string' ? name : undefined
}

const verifyOnly = (jwks: { keys: JWK[] }): { keys: JWK[] } => ({
	keys: jwks.keys.map((jwk) =>
		Array.isArray(jwk.key_ops) &&
		jwk.key_ops.includes('verify') &&
		new Set(jwk.key_ops).size === jwk.key_ops.length &&
		jwk.key_ops.every((operation) => typeof operation === 'string')
			? { ...jwk, key_ops: ['verify'] }
			: jwk,
	),
})

const joseDecides = async (
	token: string,
	jwks: { keys: JWK[] },
	s: Scenario,
	issuer: string,
): Promise<JoseDecision> => {
	const { audience, toleranceSec, typ, nowSec } = s.options
	const verifyOptions = {
		issuer,
		audience: audience === null ? undefined : audience === 'api' ? 'api' : ['api', 'other-api'],
		algorithms: algorithmsOf(s),
		clockTolerance: toleranceSec,
		requiredClaims: ['exp'],
		typ,
		currentDate: new Date(nowSec * 1000),
	}
	const verifies = async (keys: { keys: JWK[] }, iterate: boolean): Promise<unknown> => {
		try {
			await jwtVerify(token, createLocalJWKSet(keys), verifyOptions)
			return undefined
		} catch (error) {
			if (!iterate || errorCode(error) !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return error
			for await (const key of error as AsyncIterable<webcrypto.CryptoKey>) {
				try {
					await jwtVerify(token, key, verifyOptions)
					return undefined
				} catch {}
			}
			return error
		}
	}
	const error = await verifies(jwks, false)
	if (error === undefined) return { accepts: true, code: undefined, acceptsAsAdvised: true }
	const code = errorCode(error)
	const acceptsAsAdvised =
		code !== undefined &&
		leftToCaller.has(code) &&
		(await verifies(verifyOnly(jwks), true)) === undefined
	return { accepts: false, code, acceptsAsAdvised }
}

const algorithmsOf = (s: Scenario): JwsAlgorithm[] => {
	const signed = algorithmFor(s)
	const subset = s.options.algorithmSubset as JwsAlgorithm[]
	if (s.algorithms === 'all') return [...supportedAlgorithms]
	if (s.algorithms === 'withSigned') return [...new Set([...subset, signed])]
	const without = subset.filter((alg) => alg !== signed)
	return without.length > 0 ? without : supportedAlgorithms.filter((alg) => alg !== signed)
}

/**
 * A token without `kid` for which several keys fit (`jwt_ambiguous_key`) is no difference: every
 * key jwtAuth can use is one jose matches too, so jose refuses it (`JWKSMultipleMatchingKeys`).
 *
 * The refusals the README documents where jose accepts, each with the reason codes jwtAuth gives
 * for it. A token jose accepts and jwtAuth refuses must fall under one of them.
 */
const deliberate: readonly {
	readonly name: string
	readonly codes: readonly string[]
	readonly applies: (token: string, s: Scenario, jose: JoseDecision) => boolean
}[] = [
	{
		// "canonical unpadded base64url (a last character with stray bits would decode to the same signature)"
		name: 'non-canonical base64url (padding, +/, stray bits, spaces)',
		codes: ['jwt_malformed'],
		applies: (token) => !token.split('.').every(isCanonical),
	},
	{
		// "UTF-8 JSON objects": jose's TextDecoder drops a leading byte-order mark.
		name: 'header or payload starting with a byte-order mark',
		codes: ['jwt_malformed'],
		applies: (token) =>
			token
				.split('.')
				.slice(0, 2)
				.some((part) => readPart(part)?.bom === true),
	},
	{
		// "no `crit` (no JWS extension is implemented, so any `crit` is refused)": jose knows b64.
		name: 'any crit, also crit: ["b64"] with b64: true',
		codes: ['jwt_crit_unsupported'],
		applies: (token) => {
			const header = readPart(token.split('.')[0])?.value
			return typeof header === 'object' && header !== null && Object.hasOwn(header, 'crit')
		},
	},
	{
		// "`sub` (required, non-empty)"; jose checks `sub` only when told which one to expect.
		name: 'sub missing, empty or not a string',
		codes: ['jwt_claim_missing', 'jwt_claim_invalid'],
		applies: (token) => {
			const { sub } = claimsOf(token)
			return typeof sub !== 'string' || sub === ''
		},
	},
	{
		// "future `iat` refused: yes (beyond tolerance)"; jose checks it only with maxTokenAge.
		name: 'iat in the future beyond the clock tolerance',
		codes: ['jwt_iat_future', 'jwt_claim_invalid'],
		applies: (token, s) => {
			const { iat } = claimsOf(token)
			return typeof iat === 'number' && iat > s.options.nowSec + s.options.toleranceSec
		},
	},
	{
		// "`exp`, `nbf`, `iat` must be finite numbers": JSON reads 1e400 as Infinity.
		name: 'exp, nbf or iat not a finite number',
		codes: ['jwt_claim_invalid'],
		applies: (token) => {
			const claims = claimsOf(token)
			return ['exp', 'nbf', 'iat'].some(
				(name) => typeof claims[name] === 'number' && !Number.isFinite(claims[name]),
			)
		},
	},
	{
		// "claim of the wrong type": jose only looks for a configured audience in the array, and
		// reads no `aud` without one; `claims.aud` is typed a string or an array of strings.
		name: 'aud neither a string nor an array of strings',
		codes: ['jwt_claim_invalid'],
		applies: (token) => {
			const { aud } = claimsOf(token)
			return (
				aud !== undefined &&
				typeof aud !== 'string' &&
				!(Array.isArray(aud) && aud.every((value) => typeof value === 'string'))
			)
		},
	},
	{
		// "claim of the wrong type": `scope`/`scp` a string or an array of strings.
		name: 'scope neither a string nor an array of strings',
		codes: ['jwt_claim_invalid'],
		applies: (token) => {
			const { scope } = claimsOf(token)
			return (
				scope !== undefined &&
				typeof scope !== 'string' &&
				!(Array.isArray(scope) && scope.every((value) => typeof value === 'string'))
			)
		},
	},
	{
		// "over 16 KiB": checked before anything else.
		name: 'token over 16 KiB',
		codes: ['jwt_too_large'],
		applies: (token) => token.length > maxTokenLength,
	},
]

// ---------------------------------------------------------------------------------------------

describe('JWT decisions, held against jose jwtVerify with a local JWKS', () => {
	let idp: LocalIdentityProvider
	const pool = {} as Record<PoolName, PoolKey>

	beforeAll(async () => {
		idp = await startIdentityProvider({ algorithms: [] })
		for (const name of [...poolNames, 'rsaWeak'] as const) {
			const spec = poolSpecs[name]
			const signing = await idp.createKey(spec.alg, {
				kid: name,
				publish: false,
				modulusLength: spec.bits,
			})
			const privateKey = privateKeyOf(signing)
			const { kid: _kid, alg: _alg, use: _use, ...material } = signing.publicJwk
			const privateJwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>
			const privateMembers = Object.fromEntries(
				['d', 'p', 'q', 'dp', 'dq', 'qi'].flatMap((member) =>
					privateJwk[member] === undefined ? [] : [[member, privateJwk[member]]],
				),
			) as JWK
			pool[name] = { signing, privateKey, material, privateMembers, algorithms: spec.algs }
		}
	}, 60_000)
	afterAll(() => idp?.stop())

	it('never accepts what jose refuses, and refuses what jose accepts only where the README says so', async () => {
		const tally = {
			both: 0,
			neither: 0,
			stricter: new Map<string, number>(),
			advised: new Map<string | undefined, number>(),
		}
		await fc.assert(
			fc.asyncProperty(scenario, async (s) => {
				const { token, jwks } = await buildToken(s, pool, idp.issuer)
				serveJwks(idp, jwks)
				const jose = await joseDecides(token, jwks, s, idp.issuer)
				const { audience, toleranceSec, typ, nowSec } = s.options
				const api = pipeline({
					issuers: {
						issuer: idp.issuer,
						audience: audience === 'list' ? ['api', 'other-api'] : audience,
						jwksUri: idp.jwksUri,
						algorithms: algorithmsOf(s),
						...(typ === undefined ? {} : { typ }),
					},
					clockToleranceSec: toleranceSec,
					tenantRequired: false,
					prefetch: false,
					now: () => nowSec * 1000,
				})
				const first = await api.withToken(token)
				const reason = api.lastReason()
				// The verified-token cache answers the second time: the same way.
				const second = await api.withToken(token)
				expect(second.statusCode).toBe(first.statusCode)
				expect([200, 401]).toContain(first.statusCode)
				const ours = first.statusCode === 200

				if (ours && !jose.accepts) {
					// Only where jose leaves the choice of key to its caller, and a key it would use verifies.
					expect(
						{ leftToCaller: leftToCaller.has(jose.code ?? ''), asAdvised: jose.acceptsAsAdvised },
						`jwtAuth accepted a token jose refuses (${jose.code}): ${token}`,
					).toEqual({ leftToCaller: true, asAdvised: true })
					tally.advised.set(jose.code, (tally.advised.get(jose.code) ?? 0) + 1)
				}
				if (jose.accepts && !ours) {
					const applicable = deliberate.filter((d) => d.applies(token, s, jose))
					expect(
						applicable.map((d) => d.name),
						`jwtAuth refused (${reason}) a token jose accepts: ${token}`,
					).not.toEqual([])
					expect(applicable.flatMap((d) => d.codes)).toContain(reason)
					for (const { name } of applicable)
						tally.stricter.set(name, (tally.stricter.get(name) ?? 0) + 1)
				} else if (ours) tally.both++
				else tally.neither++
			}),
			{ numRuns },
		)
		// Both sides of the oracle must run: a generator drifting into refusals only would pass.
		expect(tally.both).toBeGreaterThan(numRuns / 10)
		expect(tally.neither).toBeGreaterThan(numRuns / 10)
	}, 120_000)
})

describe('JWKS keys jose will not use, found by the property above', () => {
	let idp: LocalIdentityProvider
	beforeAll(async () => {
		idp = await startIdentityProvider({ algorithms: [] })
	})
	afterAll(() => idp?.stop())

	const decide = async (jwk: Partial<JWK>) => {
		const key = await idp.createKey('ES256', { kid: `k-${Math.random()}`, jwk })
		const token = await idp.sign({ sub: 'user-1', aud: 'api' }, { key })
		const jwks = idp.jwks()
		idp.unpublish(key.kid)
		const jose = await jwtVerify(token, createLocalJWKSet(jwks), {
			issuer: idp.issuer,
			audience: 'api',
			requiredClaims: ['exp'],
		}).then(
			() => 'accepted',
			(error: { code?: unknown; name?: string }) =>
				typeof error.code === 'string' ? error.code : error.name,
		)
		idp.faults.clear()
		idp.faults.inject({ type: 'respond', status: 200, body: JSON.stringify(jwks) })
		const api = pipeline({
			issuers: { issuer: idp.issuer, audience: 'api' },
			tenantRequired: false,
			prefetch: false,
		})
		const { statusCode } = await api.withToken(token)
		idp.faults.clear()
		return { jose, ours: statusCode === 200 ? 'accepted' : api.lastReason() }
	}

	// RFC 7517 section 4.3: "Duplicate key operation values MUST NOT be present in the array."
	it('refuses a key whose key_ops lists verify twice, as jose does', async () => {
		expect(await decide({ key_ops: ['verify', 'verify'] })).toEqual({
			jose: 'ERR_JWKS_NO_MATCHING_KEY',
			ours: 'jwt_key_rejected',
		})
	})

	it('refuses a key whose key_ops holds something other than strings, as jose does', async () => {
		expect(await decide({ key_ops: ['verify', 1] as unknown as string[] })).toEqual({
			jose: 'ERR_JWKS_NO_MATCHING_KEY',
			ours: 'jwt_key_rejected',
		})
	})

	// `ext` (WebCrypto's "extractable", in the IANA JWK parameters registry) is a boolean.
	it('refuses a key whose ext is not a boolean, as jose does', async () => {
		expect(await decide({ ext: 'true' as unknown as boolean })).toEqual({
			jose: 'ERR_JWKS_NO_MATCHING_KEY',
			ours: 'jwt_key_rejected',
		})
		expect(await decide({ ext: true })).toEqual({ jose: 'accepted', ours: 'accepted' })
	})

	// WebCrypto will not import a public key for `sign`, so jose refuses a JWK whose key_ops list
	// both; RFC 7517 allows that pair, and the key verifies: jwtAuth uses it.
	it('uses a key whose key_ops lists sign beside verify, which jose cannot import', async () => {
		expect(await decide({ key_ops: ['sign', 'verify'] })).toEqual({
			jose: 'SyntaxError',
			ours: 'accepted',
		})
	})
})
