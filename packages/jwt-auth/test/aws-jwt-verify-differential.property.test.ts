import { constants, type KeyObject, sign } from 'node:crypto'
import {
	type LocalIdentityProvider,
	type SigningAlgorithm,
	startIdentityProvider,
} from '@tenantry/testing'
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify'
import { SimpleJwksCache } from 'aws-jwt-verify/jwk'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { JwsAlgorithm, JwtAuthOptions } from '../src/index.js'
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

// The second oracle: aws-jwt-verify 5's `CognitoJwtVerifier` (Cognito's `token_use`, app client in
// `client_id` or `aud`, `cognito:groups`, the pool's two issuers) and `JwtVerifier` (issuer,
// audience), each with `graceSeconds` and `scope`, against jwtAuth with the options that say the
// same thing. Both fetch the very JWKS the loopback provider serves: jwtAuth over HTTP, and
// aws-jwt-verify through its own `SimpleJwksCache` and JWKS parser with a fetcher that answers
// the Cognito (or configured) JWKS URI from loopback (its own fetcher speaks only `https:`).
// Tokens are signed with real keys and perturbed where aws-jwt-verify checks what jose does not:
// `alg` against the JWK's `alg` only (not `kty`/`crv`), the first JWK of a `kid`, the Cognito
// claims, `scope` a string, `jti`/`aud` types, `exp`/`nbf` with grace and no `iat` check.
//
// jwtAuth must never accept a token aws-jwt-verify refuses, but where the README says it does on
// purpose (`looser`); where it refuses what aws-jwt-verify accepts, the token must fall under a
// difference the README lists (`stricter`), with that difference's reason code.
const numRuns = Number(process.env.TENANTRY_PROPERTY_RUNS ?? 1_000)
const startMs = 1_800_000_000_000
/** aws-jwt-verify verifies these and no others (no PS*): jwtAuth is configured with the same. */
const awsAlgorithms: readonly JwsAlgorithm[] = [
	'RS256',
	'RS384',
	'RS512',
	'ES256',
	'ES384',
	'ES512',
	'EdDSA',
]
const requiredScope = 'items/read'

type PoolName = 'rsa' | 'rsa2' | 'rsaWeak' | 'p256' | 'p384' | 'ed25519'
const poolSpecs: Record<PoolName, { alg: SigningAlgorithm; bits?: number; algs: JwsAlgorithm[] }> =
	{
		rsa: { alg: 'RS256', algs: ['RS256', 'RS384', 'RS512'] },
		rsa2: { alg: 'RS256', algs: ['RS256'] },
		rsaWeak: { alg: 'RS256', bits: 1024, algs: ['RS256'] },
		p256: { alg: 'ES256', algs: ['ES256'] },
		p384: { alg: 'ES384', algs: ['ES384'] },
		ed25519: { alg: 'EdDSA', algs: ['EdDSA'] },
	}
interface PoolKey {
	readonly privateKey: KeyObject
	/** The public JWK without `kid`, `alg`, `use`. */
	readonly material: Record<string, unknown>
	readonly privateMembers: Record<string, unknown>
}

// ---------------------------------------------------------------------------------------------
// Scenarios, as in the jose differential: a clean value per dimension and odd ones; a run takes
// the odd value of up to three dimensions.

/** A time claim: absent, JSON text, or now (whole seconds) + `tolerance` × the grace + `offset`. */
type TimeSpec =
	| { readonly kind: 'absent' }
	| { readonly kind: 'json'; readonly text: string }
	| { readonly kind: 'at'; readonly offset: number; readonly tolerance: -1 | 0 | 1 }
const at = (offset: number, tolerance: -1 | 0 | 1 = 0): TimeSpec => ({
	kind: 'at',
	offset,
	tolerance,
})
/** Around the grace boundaries, where `<` and `<=` part ways, and values of other types. */
const oddTime = fc.oneof(
	fc
		.record({
			offset: fc.oneof(
				{ weight: 3, arbitrary: fc.constantFrom(-1, -0.5, 0, 0.5, 1) },
				{ weight: 1, arbitrary: fc.integer({ min: -310, max: 310 }) },
			),
			tolerance: fc.constantFrom<-1 | 0 | 1>(-1, 0, 1),
		})
		.map(({ offset, tolerance }) => at(offset, tolerance)),
	fc.constantFrom<TimeSpec>(
		{ kind: 'json', text: '"1900000000"' },
		{ kind: 'json', text: 'null' },
		{ kind: 'json', text: '1e400' },
		{ kind: 'json', text: 'true' },
		{ kind: 'json', text: '[1900000000]' },
	),
)

const uuid = '5f1c6d5e-1b2a-4c3d-9e8f-0a1b2c3d4e5f'
const clean = {
	signer: fc.constantFrom<PoolName>('rsa', 'rsa', 'p256', 'p384', 'ed25519'),
	algIndex: fc.nat(2),
	headerAlg: fc.constant<unknown>('natural'),
	kid: fc.constant<unknown>('signer'),
	jwkAlg: fc.constantFrom('natural', 'absent'),
	jwkUse: fc.constantFrom<unknown>('sig', undefined),
	jwkKeyOps: fc.constantFrom<unknown>(undefined, undefined, ['verify']),
	jwkPrivate: fc.constant(false),
	jwkShape: fc.constant('asIs'),
	others: fc.constantFrom('none', 'none', 'ownKid'),
	crit: fc.constant<unknown>(undefined),
	iss: fc.constantFrom('original', 'updated'),
	tokenUse: fc.constant<unknown>('configured'),
	client: fc.constant('configured'),
	aud: fc.constant<unknown>('configured'),
	groups: fc.constantFrom<unknown>('member', 'member', 'absent', ['users']),
	scope: fc.constantFrom('required', 'required', 'absent', 'signinOnly'),
	sub: fc.constant<unknown>(uuid),
	jti: fc.constantFrom<unknown>('3b4e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f70', 'absent'),
	exp: fc.integer({ min: 1, max: 3600 }).map((offset) => at(offset)),
	nbf: fc.oneof(
		fc.constant<TimeSpec>({ kind: 'absent' }),
		fc.integer({ min: -600, max: 0 }).map((offset) => at(offset)),
	),
	iat: fc.integer({ min: -600, max: 0 }).map((offset) => at(offset)),
	encoding: fc.constant('canonical'),
	size: fc.constant('small'),
}
const odd = {
	signer: fc.constant<PoolName>('rsaWeak'),
	algIndex: fc.nat(2),
	headerAlg: fc.constantFrom<unknown>(...awsAlgorithms, 'PS256', 'none', 'HS256', 'absent', 5),
	kid: fc.constantFrom<unknown>('absent', 'unknown', '', 7, '__proto__'),
	jwkAlg: fc.constantFrom('otherSameFamily', 'otherFamily', 'lowercase', 'Ed25519', 'PS256'),
	jwkUse: fc.constantFrom<unknown>('enc', '', 'Sig', 5),
	jwkKeyOps: fc.constantFrom<unknown>(['sign'], ['encrypt'], []),
	jwkPrivate: fc.constant(true),
	jwkShape: fc.constantFrom('ktyLower', 'ktyOther', 'noKty', 'crvOther', 'noCrv'),
	others: fc.constantFrom(
		'sameKidOtherKeyFirst',
		'sameKidEncFirst',
		'invalidEntry',
		'entryWithoutKty',
		'twinWithoutKid',
	),
	crit: fc.constantFrom<unknown>(['exp'], [], ['b64']),
	iss: fc.constantFrom(
		'trailingSlash',
		'otherPool',
		'otherRegion',
		'china',
		'http',
		'missing',
		'number',
		'upperCase',
	),
	tokenUse: fc.constantFrom<unknown>('other', 'ID', 'absent', ['id'], 5, 'refresh', ''),
	client: fc.constantFrom('other', 'swapped', 'array', 'absent', 'empty', 'number'),
	aud: fc.constantFrom<unknown>('other', 'absent', 5, [5, 'api'], ['api', 5], [], '', {}),
	groups: fc.constantFrom<unknown>('admins', [5, 'admins'], ['admins', 5], [], 5, ['Admins'], null),
	scope: fc.constantFrom('array', 'number', 'empty', 'scpOnly', 'scpArrayOnly', 'doubleSpace'),
	sub: fc.constantFrom<unknown>('absent', '', 5, null),
	jti: fc.constantFrom<unknown>(5, null, {}, ['x'], ''),
	exp: fc.oneof(fc.constant<TimeSpec>({ kind: 'absent' }), oddTime),
	nbf: oddTime,
	iat: oddTime,
	encoding: fc.constantFrom(
		'paddedPayload',
		'paddedSignature',
		'trailingBitsPayload',
		'trailingBitsSignature',
		'signatureFlipped',
		'signatureOtherKey',
		'highS',
	),
	size: fc.constant('overCap'),
}
type Dimension = keyof typeof clean
const dimensions = Object.keys(clean) as Dimension[]

const options = fc.record({
	mode: fc.constantFrom<'cognito' | 'generic'>('cognito', 'cognito', 'generic'),
	userPoolId: fc.constantFrom('eu-west-1_AbC123', 'us-gov-west-1_Xyz789'),
	tokenUse: fc.constantFrom<'id' | 'access' | null>('id', 'access', null),
	/** The token's kind when `tokenUse` is `null`. */
	tokenKind: fc.constantFrom<'id' | 'access'>('id', 'access'),
	clientId: fc.constantFrom<'one' | 'list' | null>('one', 'list', null),
	groups: fc.constantFrom<'one' | 'list' | undefined>(undefined, 'one', 'list'),
	audience: fc.constantFrom<'api' | 'list' | null>('api', 'list', null),
	scope: fc.boolean(),
	toleranceSec: fc.constantFrom(0, 0, 1, 5, 60, 300),
	requireExp: fc.boolean(),
	nowMs: fc
		.record({
			seconds: fc.integer({ min: 0, max: 1_000_000 }),
			fraction: fc.constantFrom(0, 0, 0, 500, 999),
		})
		.map(({ seconds, fraction }) => startMs + seconds * 1000 + fraction),
})
type ValueOf<A> = A extends fc.Arbitrary<infer V> ? V : never
type Picked = { [D in Dimension]: ValueOf<(typeof clean)[D]> | ValueOf<(typeof odd)[D]> }
type Options = ValueOf<typeof options>
type Scenario = Picked & { readonly perturbed: readonly Dimension[]; readonly options: Options }

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

// ---------------------------------------------------------------------------------------------
// The configurations, said once for each side.

const regionOf = (userPoolId: string): string => userPoolId.slice(0, userPoolId.indexOf('_'))
const cognitoIssuers = (userPoolId: string) => ({
	original: `https://cognito-idp.${regionOf(userPoolId)}.amazonaws.com/${userPoolId}`,
	updated: `https://issuer-cognito-idp.${regionOf(userPoolId)}.amazonaws.com/${userPoolId}`,
})
const clientIdsOf = (clientId: Options['clientId']): string | string[] | null =>
	clientId === 'list' ? ['client-a', 'client-b'] : clientId === 'one' ? 'client-a' : null
const groupsOf = (groups: Options['groups']): string | string[] | undefined =>
	groups === 'list' ? ['ops', 'admins'] : groups === 'one' ? 'admins' : undefined
const audienceOf = (audience: Options['audience']): string | string[] | null =>
	audience === 'list' ? ['api', 'other-api'] : audience

const jwtAuthOptions = (o: Options, idp: LocalIdentityProvider): JwtAuthOptions => {
	const groups = groupsOf(o.groups)
	return {
		...(o.mode === 'cognito'
			? {
					cognito: {
						userPoolId: o.userPoolId,
						clientId: clientIdsOf(o.clientId),
						tokenUse: o.tokenUse,
						...(groups === undefined ? {} : { groups }),
						jwksUri: idp.jwksUri,
					},
				}
			: {
					issuers: { issuer: idp.issuer, audience: audienceOf(o.audience), jwksUri: idp.jwksUri },
				}),
		algorithms: awsAlgorithms,
		clockToleranceSec: o.toleranceSec,
		requireExp: o.requireExp,
		...(o.scope ? { requiredScopes: [requiredScope] } : {}),
		tenantRequired: false,
		prefetch: false,
		now: () => o.nowMs,
	}
}

/** Fetches whatever JWKS URI aws-jwt-verify asks for (it must be one of `expected`) from loopback. */
const loopbackJwksCache = (idp: LocalIdentityProvider, expected: readonly string[]) =>
	new SimpleJwksCache({
		fetcher: {
			fetch: async (uri: string) => {
				expect(expected).toContain(uri)
				return (await fetch(idp.jwksUri)).arrayBuffer()
			},
		},
	})

const awsVerifier = (o: Options, idp: LocalIdentityProvider) => {
	const common = {
		graceSeconds: o.toleranceSec,
		...(o.scope ? { scope: requiredScope } : {}),
	}
	if (o.mode === 'generic')
		return JwtVerifier.create(
			{ issuer: idp.issuer, audience: audienceOf(o.audience), jwksUri: idp.jwksUri, ...common },
			{ jwksCache: loopbackJwksCache(idp, [idp.jwksUri]) },
		)
	const issuers = cognitoIssuers(o.userPoolId)
	const groups = groupsOf(o.groups)
	return CognitoJwtVerifier.create(
		{
			userPoolId: o.userPoolId,
			clientId: clientIdsOf(o.clientId),
			tokenUse: o.tokenUse,
			...(groups === undefined ? {} : { groups }),
			...common,
		},
		{
			jwksCache: loopbackJwksCache(idp, [
				`${issuers.original}/.well-known/jwks.json`,
				`${issuers.updated}/.well-known/jwks.json`,
			]),
		},
	)
}

interface AwsDecision {
	readonly accepts: boolean
	readonly error: string | undefined
	/** Whether aws-jwt-verify's parser took the JWKS at all (it refuses a whole JWKS for one bad JWK). */
	readonly jwksParsed: boolean
}

/**
 * `hydrate` loads the JWKS, then `verifySync` decides at `nowMs` (aws-jwt-verify reads only
 * `Date.now()`, stubbed for that synchronous call alone, so no timer or fetch sees it).
 */
const awsDecides = async (
	token: string,
	o: Options,
	idp: LocalIdentityProvider,
): Promise<AwsDecision> => {
	const verifier = awsVerifier(o, idp)
	const jwksParsed = await verifier.hydrate().then(
		() => true,
		() => false,
	)
	const clock = vi.spyOn(Date, 'now').mockReturnValue(o.nowMs)
	try {
		verifier.verifySync(token)
		return { accepts: true, error: undefined, jwksParsed }
	} catch (error) {
		return { accepts: false, error: (error as Error).constructor.name, jwksParsed }
	} finally {
		clock.mockRestore()
	}
}

// ---------------------------------------------------------------------------------------------
// Building the JWKS and the token.

const signerKid = 'signer-kid'
const naturalAlg = (s: Scenario): JwsAlgorithm => {
	const { algs } = poolSpecs[s.signer]
	return algs[s.algIndex % algs.length] ?? 'RS256'
}

/**
 * Signs as `alg` names with what the key can do: a header `alg` of another family still gets a
 * signature that key verifies under that hash (RSA PKCS#1 v1.5 for `ES256` on an RSA key, ECDSA
 * for `RS256` on an EC key), so a verifier that lets the key pick the scheme accepts it.
 */
const signNatively = (alg: unknown, input: string, key: KeyObject): Buffer => {
	const data = Buffer.from(input)
	const hash = `sha${/(256|384|512)$/.exec(String(alg))?.[1] ?? '256'}`
	if (key.asymmetricKeyType === 'ed25519') return sign(null, data, key)
	if (key.asymmetricKeyType === 'ec') return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' })
	if (String(alg).startsWith('PS'))
		return sign(hash, data, {
			key,
			padding: constants.RSA_PKCS1_PSS_PADDING,
			saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
		})
	return sign(hash, data, key)
}

const otherCurve: Record<string, string> = { 'P-256': 'P-384', 'P-384': 'P-521', Ed25519: 'Ed448' }
const otherKty: Record<string, string> = { RSA: 'EC', EC: 'OKP', OKP: 'RSA' }

const signerJwk = (s: Scenario, key: PoolKey): Record<string, unknown> => {
	const natural = naturalAlg(s)
	const jwk: Record<string, unknown> = { ...key.material, kid: signerKid }
	const jwkAlg: Record<string, string | undefined> = {
		natural,
		absent: undefined,
		otherSameFamily:
			{ RS256: 'RS384', ES256: 'ES384', ES384: 'ES256' }[natural as string] ?? 'RS256',
		otherFamily: natural.startsWith('RS') ? 'ES256' : 'RS256',
		lowercase: natural.toLowerCase(),
		Ed25519: 'Ed25519',
		PS256: 'PS256',
	}
	const alg = jwkAlg[s.jwkAlg]
	if (alg !== undefined) jwk.alg = alg
	if (s.jwkUse !== undefined) jwk.use = s.jwkUse
	if (s.jwkKeyOps !== undefined) jwk.key_ops = s.jwkKeyOps
	if (s.jwkPrivate) Object.assign(jwk, key.privateMembers)
	const kty = String(jwk.kty)
	if (s.jwkShape === 'ktyLower') jwk.kty = kty.toLowerCase()
	if (s.jwkShape === 'ktyOther') jwk.kty = otherKty[kty]
	if (s.jwkShape === 'noKty') delete jwk.kty
	if (s.jwkShape === 'crvOther') jwk.crv = otherCurve[String(jwk.crv)] ?? 'P-256'
	if (s.jwkShape === 'noCrv') delete jwk.crv
	return jwk
}

const buildJwks = (s: Scenario, pool: Record<PoolName, PoolKey>) => {
	const signer = signerJwk(s, pool[s.signer])
	const other = pool[s.signer === 'rsa2' ? 'rsa' : 'rsa2'].material
	switch (s.others) {
		case 'ownKid':
			return [signer, { ...other, kid: 'other-kid', use: 'sig' }]
		case 'sameKidOtherKeyFirst':
			return [{ ...other, kid: signerKid }, signer]
		case 'sameKidEncFirst':
			return [{ ...signer, use: 'enc' }, signer]
		case 'invalidEntry':
			return [signer, { kty: 'RSA', kid: 'junk', alg: 5 }]
		case 'entryWithoutKty':
			return [signer, { kid: 'junk', use: 'sig' }]
		case 'twinWithoutKid':
			return [signer, { ...pool[s.signer].material, use: 'sig' }]
		default:
			return [signer]
	}
}

const timeText = (spec: TimeSpec, nowSec: number, toleranceSec: number): string | undefined => {
	if (spec.kind === 'absent') return undefined
	if (spec.kind === 'json') return spec.text
	return String(nowSec + spec.tolerance * toleranceSec + spec.offset)
}

const issuerOf = (s: Scenario, idp: LocalIdentityProvider): unknown => {
	const { mode, userPoolId } = s.options
	const region = regionOf(userPoolId)
	const issuers = cognitoIssuers(userPoolId)
	const configured = mode === 'cognito' ? issuers.original : idp.issuer
	const odd: Record<string, unknown> = {
		original: configured,
		updated: mode === 'cognito' ? issuers.updated : idp.issuer,
		trailingSlash: `${configured}/`,
		otherPool: `${configured}x`,
		otherRegion: configured.replace(region, 'eu-central-1'),
		china: `https://cognito-idp.${region}.amazonaws.com.cn/${userPoolId}`,
		http: configured.replace(/^https?:/, (scheme) => (scheme === 'http:' ? 'https:' : 'http:')),
		missing: undefined,
		number: 5,
		upperCase: configured.toUpperCase(),
	}
	return odd[s.iss]
}

/** The claims as JSON member texts, in the order a provider writes them. */
const claimsFor = (s: Scenario, idp: LocalIdentityProvider): [string, string][] => {
	const o = s.options
	const nowSec = Math.floor(o.nowMs / 1000)
	const claims: [string, unknown][] = [
		['sub', s.sub === 'absent' ? undefined : s.sub],
		['iss', issuerOf(s, idp)],
	]
	const kind = o.tokenUse ?? o.tokenKind
	let aud: unknown =
		o.mode === 'generic' ? (o.audience === 'list' ? 'other-api' : 'api') : undefined
	if (o.mode === 'cognito') {
		const configured = clientIdsOf(o.clientId)
		const client: Record<string, unknown> = {
			configured: Array.isArray(configured) ? configured[1] : (configured ?? 'client-z'),
			other: 'client-x',
			swapped: 'client-a',
			array: ['client-a'],
			absent: undefined,
			empty: '',
			number: 5,
		}
		const value = client[s.client]
		const inAud = (kind === 'id') !== (s.client === 'swapped')
		if (inAud) aud = value
		else claims.push(['client_id', value])
		const groups: Record<string, unknown> = { member: ['users', 'admins'], absent: undefined }
		const group = typeof s.groups === 'string' && s.groups in groups ? groups[s.groups] : s.groups
		claims.push(['cognito:groups', group])
		claims.push(['token_use', s.tokenUse === 'configured' ? kind : s.tokenUse])
	}
	if (s.aud !== 'configured') aud = s.aud === 'absent' ? undefined : s.aud === 'other' ? 'x' : s.aud
	claims.push(['aud', aud])
	const scopes: Record<string, [string, unknown][]> = {
		required: [['scope', `openid ${requiredScope}`]],
		absent: [],
		signinOnly: [['scope', 'aws.cognito.signin.user.admin']],
		array: [['scope', [requiredScope]]],
		number: [['scope', 5]],
		empty: [['scope', '']],
		scpOnly: [['scp', requiredScope]],
		scpArrayOnly: [['scp', [requiredScope]]],
		doubleSpace: [['scope', `openid  ${requiredScope}`]],
	}
	claims.push(...(scopes[s.scope] ?? []))
	claims.push(['jti', s.jti === 'absent' ? undefined : s.jti])
	if (s.size === 'overCap') claims.push(['padding', 'x'.repeat(17_000)])
	const members: [string, string][] = claims.flatMap(([name, value]) =>
		value === undefined ? [] : [[name, JSON.stringify(value)] as [string, string]],
	)
	for (const name of ['exp', 'nbf', 'iat'] as const) {
		const text = timeText(s[name], nowSec, o.toleranceSec)
		if (text !== undefined) members.push([name, text])
	}
	return members
}

const objectText = (members: readonly (readonly [string, string])[]): string =>
	`{${members.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`

const part = (text: string): string => Buffer.from(text).toString('base64url')

interface Built {
	readonly token: string
	readonly jwks: { keys: Record<string, unknown>[] }
	readonly headerAlg: unknown
	readonly headerKid: unknown
}

const buildToken = (
	s: Scenario,
	pool: Record<PoolName, PoolKey>,
	idp: LocalIdentityProvider,
): Built => {
	const keys = buildJwks(s, pool)
	const headerAlg = s.headerAlg === 'natural' ? naturalAlg(s) : s.headerAlg
	const kids: Record<string, unknown> = { signer: signerKid, absent: undefined, unknown: 'no-such' }
	const headerKid = typeof s.kid === 'string' && s.kid in kids ? kids[s.kid] : s.kid
	const header: [string, string][] = []
	if (headerAlg !== 'absent') header.push(['alg', JSON.stringify(headerAlg)])
	if (headerKid !== undefined) header.push(['kid', JSON.stringify(headerKid)])
	if (s.crit !== undefined) header.push(['crit', JSON.stringify(s.crit)])
	let payloadPart = part(objectText(claimsFor(s, idp)))
	if (s.encoding === 'paddedPayload') payloadPart = padded(payloadPart)
	if (s.encoding === 'trailingBitsPayload') payloadPart = withTrailingBits(payloadPart)
	const input = `${part(objectText(header))}.${payloadPart}`
	const signing = s.encoding === 'signatureOtherKey' ? pool.rsa2 : pool[s.signer]
	let signature = signNatively(headerAlg, input, signing.privateKey)
	if (s.encoding === 'highS') signature = highS(naturalAlg(s), signature)
	if (s.encoding === 'signatureFlipped') {
		const middle = signature.length >> 1
		signature[middle] = (signature[middle] ?? 0) ^ 1
	}
	let signaturePart = signature.toString('base64url')
	if (s.encoding === 'paddedSignature') signaturePart = padded(signaturePart)
	if (s.encoding === 'trailingBitsSignature') signaturePart = withTrailingBits(signaturePart)
	return { token: `${input}.${signaturePart}`, jwks: { keys }, headerAlg, headerKid }
}

// ---------------------------------------------------------------------------------------------
// The differences the README lists.

const headerOf = (token: string): Record<string, unknown> => {
	const value = readPart(token.split('.')[0])?.value
	return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}
const isStringArray = (value: unknown): value is string[] =>
	Array.isArray(value) && value.every((item) => typeof item === 'string')

/** JWKs jwtAuth refuses at load that aws-jwt-verify uses (it checks `kty`, `use`, `alg` only). */

const curveOf: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }
/** Whether `alg` names the signature scheme of the JWK's `kty` and `crv`. */
const fits = (alg: unknown, jwk: Record<string, unknown>): boolean => {
	const name = String(alg)
	if (name.startsWith('RS') || name.startsWith('PS')) return jwk.kty === 'RSA'
	if (name.startsWith('ES')) return jwk.kty === 'EC' && jwk.crv === curveOf[name]
	return name === 'EdDSA' && jwk.kty === 'OKP' && (jwk.crv === 'Ed25519' || jwk.crv === 'Ed448')
}

/** Keys jwtAuth refuses when it loads the JWKS; an `alg` fitting no scheme of the key is one. */
const refusedAtLoad = (jwk: Record<string, unknown>, s: Scenario): boolean =>
	s.signer === 'rsaWeak' ||
	jwk.use === '' ||
	(jwk.key_ops !== undefined && !(isStringArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) ||
	(typeof jwk.alg === 'string' && !fits(jwk.alg, jwk)) ||
	s.jwkPrivate

interface Difference {
	readonly name: string
	readonly codes: readonly string[]
	readonly applies: (built: Built, s: Scenario, aws: AwsDecision) => boolean
}

/** aws-jwt-verify accepts, jwtAuth refuses: "Where decisions differ from aws-jwt-verify". */
const stricter: readonly Difference[] = [
	{
		name: 'non-canonical base64url (padding, stray bits)',
		codes: ['jwt_malformed'],
		applies: ({ token }) => !token.split('.').every(isCanonical),
	},
	{
		name: 'any crit (aws-jwt-verify ignores crit)',
		codes: ['jwt_crit_unsupported'],
		applies: ({ token }) => Object.hasOwn(headerOf(token), 'crit'),
	},
	{
		name: 'sub missing or empty',
		codes: ['jwt_claim_missing', 'jwt_claim_invalid'],
		applies: ({ token }) => {
			const { sub } = claimsOf(token)
			return sub === undefined || sub === ''
		},
	},
	{
		name: 'iat in the future beyond the grace (aws-jwt-verify ignores iat)',
		codes: ['jwt_iat_future'],
		applies: ({ token }, s) => {
			const { iat } = claimsOf(token)
			return typeof iat === 'number' && iat > s.options.nowMs / 1000 + s.options.toleranceSec
		},
	},
	{
		name: 'exp exactly at now plus the grace (RFC 7519: not accepted "on or after")',
		codes: ['jwt_expired'],
		applies: ({ token }, s) => {
			const { exp } = claimsOf(token)
			return typeof exp === 'number' && exp + s.options.toleranceSec === s.options.nowMs / 1000
		},
	},
	{
		name: 'no exp (requireExp, the default)',
		codes: ['jwt_claim_missing'],
		applies: ({ token }, s) => s.options.requireExp && claimsOf(token).exp === undefined,
	},
	{
		name: 'token over 16 KiB',
		codes: ['jwt_too_large'],
		applies: ({ token }) => token.length > 16_384,
	},
	{
		name: "a key jwtAuth refuses at load (RSA < 2048, use '', key_ops without verify, private members)",
		codes: ['jwt_key_rejected'],
		applies: ({ jwks, headerKid }, s) =>
			jwks.keys.some((jwk) => jwk.kid === headerKid && refusedAtLoad(jwk, s)),
	},
	{
		name: 'header alg that does not fit the kty or crv of the key aws-jwt-verify takes (it lets the key pick the scheme)',
		codes: ['jwt_key_alg_mismatch', 'jwt_signature_invalid'],
		applies: ({ jwks, headerAlg, headerKid }) => {
			const jwk = jwks.keys.find((key) => key.kid === headerKid)
			return jwk !== undefined && !fits(headerAlg, jwk)
		},
	},
	{
		name: 'cognito:groups not an array of strings (aws-jwt-verify reads a string as one group)',
		codes: ['jwt_claim_invalid'],
		applies: ({ token }, s) =>
			s.options.mode === 'cognito' &&
			s.options.groups !== undefined &&
			!isStringArray(claimsOf(token)['cognito:groups']),
	},
]

/** jwtAuth accepts, aws-jwt-verify refuses: on purpose, each listed in the README too. */
const looser: readonly Omit<Difference, 'codes'>[] = [
	{
		name: 'no kid, and exactly one usable key fits alg (aws-jwt-verify requires a kid)',
		applies: ({ headerKid }) => headerKid === undefined,
	},
	{
		name: 'several JWKs under the kid (aws-jwt-verify takes only the first listed)',
		applies: ({ jwks, headerKid }) => jwks.keys.filter((jwk) => jwk.kid === headerKid).length > 1,
	},
	{
		name: 'a JWKS with another JWK aws-jwt-verify cannot parse (it refuses the whole JWKS)',
		applies: (_built, _s, aws) => !aws.jwksParsed,
	},
	{
		name: 'scope an array of strings (Duende; aws-jwt-verify requires a string)',
		applies: ({ token }) => isStringArray(claimsOf(token).scope),
	},
	{
		name: 'required scope in scp without scope (aws-jwt-verify reads scope only)',
		applies: ({ token }, s) => s.options.scope && claimsOf(token).scope === undefined,
	},
]

// ---------------------------------------------------------------------------------------------

describe('JWT decisions, held against aws-jwt-verify with the same JWKS', () => {
	let idp: LocalIdentityProvider
	const pool = {} as Record<PoolName, PoolKey>

	beforeAll(async () => {
		idp = await startIdentityProvider({ algorithms: [] })
		for (const name of Object.keys(poolSpecs) as PoolName[]) {
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
			)
			pool[name] = { privateKey, material, privateMembers }
		}
	}, 60_000)
	afterAll(() => idp?.stop())

	it('never accepts what aws-jwt-verify refuses, and refuses what it accepts only where the README says so', async () => {
		const tally = { both: 0, neither: 0, differences: new Map<string, number>() }
		const count = (names: readonly string[]) => {
			for (const name of names) tally.differences.set(name, (tally.differences.get(name) ?? 0) + 1)
		}
		await fc.assert(
			fc.asyncProperty(scenario, async (s) => {
				const built = buildToken(s, pool, idp)
				serveJwks(idp, built.jwks)
				const aws = await awsDecides(built.token, s.options, idp)
				const api = pipeline(jwtAuthOptions(s.options, idp))
				const first = await api.withToken(built.token)
				const reason = api.lastReason()
				// The verified-token cache answers the second time: the same way.
				const second = await api.withToken(built.token)
				expect(second.statusCode).toBe(first.statusCode)
				expect([200, 401, 403]).toContain(first.statusCode)
				const ours = first.statusCode === 200

				if (ours && !aws.accepts) {
					const applicable = looser.filter((d) => d.applies(built, s, aws))
					expect(
						applicable.map((d) => d.name),
						`jwtAuth accepted a token aws-jwt-verify refuses (${aws.error}): ${built.token}`,
					).not.toEqual([])
					count(applicable.map((d) => d.name))
				} else if (aws.accepts && !ours) {
					const applicable = stricter.filter((d) => d.applies(built, s, aws))
					expect(
						applicable.map((d) => d.name),
						`jwtAuth refused (${reason}) a token aws-jwt-verify accepts: ${built.token}`,
					).not.toEqual([])
					expect(applicable.flatMap((d) => d.codes)).toContain(reason)
					count(applicable.map((d) => d.name))
				} else if (ours) tally.both++
				else tally.neither++
			}),
			{ numRuns },
		)
		// Both sides of the oracle must run: a generator drifting into refusals only would pass.
		expect(tally.both).toBeGreaterThan(numRuns / 10)
		expect(tally.neither).toBeGreaterThan(numRuns / 10)
	}, 60_000)
})

describe('claims of the wrong type that aws-jwt-verify refuses, found by the property above', () => {
	/** A fixed clock for both sides: no second boundary between signing and verifying. */
	const nowMs = startMs
	let idp: LocalIdentityProvider
	beforeAll(async () => {
		idp = await startIdentityProvider({ algorithms: ['RS256'], now: () => nowMs })
	})
	afterAll(() => idp?.stop())

	const userPoolId = 'eu-west-1_AbC123'
	const base: Options = {
		mode: 'cognito',
		userPoolId,
		tokenUse: 'access',
		tokenKind: 'access',
		clientId: 'one',
		groups: undefined,
		audience: null,
		scope: false,
		toleranceSec: 0,
		requireExp: true,
		nowMs,
	}
	const accessToken = {
		iss: cognitoIssuers(userPoolId).original,
		sub: uuid,
		token_use: 'access',
		client_id: 'client-a',
		scope: 'aws.cognito.signin.user.admin',
	}

	const decide = async (claims: Record<string, unknown>, o: Partial<Options>) => {
		const options = { ...base, ...o }
		const token = await idp.sign(claims)
		const aws = await awsDecides(token, options, idp)
		const api = pipeline(jwtAuthOptions(options, idp))
		const { statusCode } = await api.withToken(token)
		return {
			aws: aws.error ?? 'accepted',
			ours: statusCode === 200 ? 'accepted' : api.lastReason(),
		}
	}

	// `claims.aud` is typed `string | readonly string[]` for the handler: with the audience match
	// off (Cognito access tokens, `audience: null`) the type must still hold.
	it('refuses a Cognito access token whose aud is not a string or an array of strings', async () => {
		expect(await decide({ ...accessToken, aud: [5] }, {})).toEqual({
			aws: 'JwtParseError',
			ours: 'jwt_claim_invalid',
		})
		expect(await decide({ ...accessToken, aud: 'anything' }, {})).toEqual({
			aws: 'accepted',
			ours: 'accepted',
		})
	})

	it('refuses an aud that is not a string or an array of strings with audience: null', async () => {
		expect(await decide({ sub: uuid, aud: 5 }, { mode: 'generic' })).toEqual({
			aws: 'JwtParseError',
			ours: 'jwt_claim_invalid',
		})
	})

	// `claims.jti` is typed `string`, and the README says to key a denylist on it.
	it('refuses a jti that is not a string', async () => {
		expect(
			await decide(
				{ sub: uuid, aud: 'api', jti: { $ne: null } },
				{ mode: 'generic', audience: 'api' },
			),
		).toEqual({ aws: 'JwtParseError', ours: 'jwt_claim_invalid' })
	})

	// aws-jwt-verify refuses the token once it meets a member that is not a string before a match.
	it('refuses cognito:groups with a member that is not a string, in either order', async () => {
		for (const groups of [
			[5, 'admins'],
			['admins', 5],
		]) {
			const decision = await decide({ ...accessToken, 'cognito:groups': groups }, { groups: 'one' })
			expect(decision.ours).toBe('jwt_claim_invalid')
		}
		expect(
			await decide({ ...accessToken, 'cognito:groups': [5, 'admins'] }, { groups: 'one' }),
		).toEqual({ aws: 'CognitoJwtInvalidGroupError', ours: 'jwt_claim_invalid' })
	})
})
