import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import {
	albEvent,
	functionUrlEvent,
	httpApiEvent,
	type LocalIdentityProvider,
	lambdaContext,
	restApiEvent,
	type SigningAlgorithm,
	startIdentityProvider,
} from '@tenantry/testing'
import { albMultiValueHeaders, type TracerLike } from '@tenantry/util'
import type { ALBEvent, ALBResult } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type JwtAuthOptions, jwtAuth } from '../src/index.js'
import {
	expectRejected,
	fakeClock,
	invalidToken,
	pipeline,
	privateKeyOf,
	signWith,
} from './helpers.js'

const algorithms: SigningAlgorithm[] = [
	'RS256',
	'RS384',
	'RS512',
	'PS256',
	'PS384',
	'PS512',
	'ES256',
	'ES384',
	'ES512',
	'EdDSA',
]

let idp: LocalIdentityProvider
let second: LocalIdentityProvider

const claims = (overrides: Record<string, unknown> = {}) => ({
	sub: 'user-1',
	aud: 'api',
	tenant_id: 'acme',
	...overrides,
})
const options = (overrides: Partial<JwtAuthOptions> = {}): JwtAuthOptions => ({
	issuers: { issuer: idp.issuer, audience: 'api' },
	...overrides,
})

beforeAll(async () => {
	;[idp, second] = await Promise.all([
		startIdentityProvider({ algorithms }),
		startIdentityProvider({ algorithms: ['ES256'] }),
	])
})
afterAll(() => Promise.all([idp.stop(), second.stop()]))

describe('accepted tokens', () => {
	it.each(algorithms)('accepts %s', async (alg) => {
		const run = pipeline(options())
		const outcome = await run.withToken(await idp.sign(claims(), { alg }))
		expect(outcome).toMatchObject({ statusCode: 200, body: 'ok' })
	})

	it('puts a frozen, typed result on context.auth', async () => {
		const run = pipeline(options())
		const token = await idp.sign(
			claims({ scope: 'items:read items:write', nested: { roles: ['admin'] } }),
		)
		expect((await run.withToken(token)).statusCode).toBe(200)
		const [auth] = run.seen
		expect(auth).toMatchObject({
			method: 'jwt',
			tenantId: 'acme',
			subject: 'user-1',
			issuer: idp.issuer,
			scopes: ['items:read', 'items:write'],
			claims: { sub: 'user-1', aud: 'api', iss: idp.issuer, nested: { roles: ['admin'] } },
		})
		expect(Object.isFrozen(auth)).toBe(true)
		expect(Object.isFrozen(auth?.scopes)).toBe(true)
		const nested = auth?.claims.nested as { roles: string[] } | undefined
		expect(Object.isFrozen(nested?.roles)).toBe(true)
	})

	it('verifies both RS256 and PS256 with an RSA key whose JWK has no alg', async () => {
		const key = await idp.createKey('RS256', { kid: 'rsa-no-alg', jwk: { alg: undefined } })
		expect(key.publicJwk.alg).toBeUndefined()
		const run = pipeline(options())
		const payload = { ...claims(), iss: idp.issuer, exp: Math.floor(Date.now() / 1000) + 60 }
		for (const alg of ['RS256', 'PS256', 'RS512']) {
			const token = signWith({ alg, kid: key.kid }, payload, privateKeyOf(key))
			expect((await run.withToken(token)).statusCode).toBe(200)
		}
		idp.unpublish(key.kid)
	})

	it('accepts a token without kid only when exactly one key fits its alg', async () => {
		const single = await startIdentityProvider({ algorithms: ['ES256'] })
		const noKid = () => single.sign(claims(), { alg: 'ES256', header: { kid: undefined } })
		const run = pipeline({ issuers: { issuer: single.issuer, audience: 'api' } })
		expect((await run.withToken(await noKid())).statusCode).toBe(200)

		await single.createKey('ES256')
		const ambiguous = pipeline({ issuers: { issuer: single.issuer, audience: 'api' } })
		expectRejected(await ambiguous.withToken(await noKid()), 401)
		expect(ambiguous.lastReason()).toBe('jwt_ambiguous_key')
		await single.stop()
	})

	it('never uses a JWKS key whose kid is not a string, not even for a token without kid', async () => {
		// A malformed JWK is refused whole: read as a key without kid, it would answer every
		// kid-less token of its algorithm.
		const odd = await startIdentityProvider({ algorithms: [] })
		const key = await odd.createKey('ES256', { jwk: { kid: 7 } as never })
		const run = pipeline({ issuers: { issuer: odd.issuer, audience: 'api' } })
		const token = await odd.sign(claims(), { key, header: { kid: undefined } })
		expectRejected(await run.withToken(token), 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_unknown_kid')
		expect(run.seen).toEqual([])
		await odd.stop()
	})

	it('accepts a token of either key when the JWKS lists two under its kid', async () => {
		const doubled = await startIdentityProvider({ algorithms: [] })
		const first = await doubled.createKey('ES256', { kid: 'shared' })
		const second = await doubled.createKey('ES256', { kid: 'shared' })
		const run = pipeline({ issuers: { issuer: doubled.issuer, audience: 'api' } })
		for (const key of [first, second])
			expect((await run.withToken(await doubled.sign(claims(), { key }))).statusCode).toBe(200)
		const outsider = await doubled.createKey('ES256', { kid: 'shared', publish: false })
		expectRejected(await run.withToken(await doubled.sign(claims(), { key: outsider })), 401)
		expect(run.lastReason()).toBe('jwt_signature_invalid')
		await doubled.stop()
	})

	it('accepts tokens of several issuers, each against its own JWKS', async () => {
		const run = pipeline({
			issuers: [
				{ issuer: idp.issuer, audience: 'api' },
				{ issuer: second.issuer, audience: ['other', 'api'] },
			],
		})
		expect((await run.withToken(await idp.sign(claims()))).statusCode).toBe(200)
		expect((await run.withToken(await second.sign(claims(), { alg: 'ES256' }))).statusCode).toBe(
			200,
		)
		expect(run.seen.map((auth) => auth.issuer)).toEqual([idp.issuer, second.issuer])

		const crossed = await second.sign(claims({ iss: idp.issuer }), { alg: 'ES256' })
		expectRejected(await run.withToken(crossed), 401)
		expect(run.lastReason()).toBe('jwt_unknown_kid')
	})

	it('accepts any aud array naming the audience, and skips the check for audience null', async () => {
		const run = pipeline(options())
		expect((await run.withToken(await idp.sign(claims({ aud: ['x', 'api'] })))).statusCode).toBe(
			200,
		)
		const open = pipeline(options({ issuers: { issuer: idp.issuer, audience: null } }))
		expect((await open.withToken(await idp.sign(claims({ aud: undefined })))).statusCode).toBe(200)
	})

	it('honours the clock tolerance on exp and nbf', async () => {
		const nowSec = Math.floor(Date.now() / 1000)
		const run = pipeline(options({ clockToleranceSec: 30 }))
		const token = await idp.sign(claims({ exp: nowSec - 10, nbf: nowSec + 10, iat: nowSec + 10 }))
		expect((await run.withToken(token)).statusCode).toBe(200)
	})

	it('accepts a token without exp when requireExp is false', async () => {
		const run = pipeline(options({ requireExp: false }))
		expect((await run.withToken(await idp.sign(claims(), { expiresInSec: null }))).statusCode).toBe(
			200,
		)
	})

	it('checks typ without case or the application/ prefix', async () => {
		const run = pipeline(options({ typ: 'at+jwt' }))
		for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt']) {
			const token = await idp.sign(claims(), { header: { typ } })
			expect((await run.withToken(token)).statusCode).toBe(200)
		}
	})

	it('applies a typ per issuer: at+jwt from one provider, plain JWT from another', async () => {
		const run = pipeline({
			issuers: [
				{ issuer: idp.issuer, audience: 'api', typ: null },
				{ issuer: second.issuer, audience: 'api', typ: 'at+jwt' },
			],
			typ: 'at+jwt',
		})
		const keycloakStyle = await idp.sign(claims(), { header: { typ: 'JWT' } })
		expect((await run.withToken(keycloakStyle)).statusCode).toBe(200)
		const accessToken = await second.sign(claims(), { alg: 'ES256', header: { typ: 'at+jwt' } })
		expect((await run.withToken(accessToken)).statusCode).toBe(200)
		const idToken = await second.sign(claims(), { alg: 'ES256', header: { typ: 'JWT' } })
		expectRejected(await run.withToken(idToken), 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_typ_mismatch')
	})

	it('accepts a token carrying the required claims and a young enough iat', async () => {
		const run = pipeline(options({ requiredClaims: ['jti'], maxTokenAgeSec: 300 }))
		expect((await run.withToken(await idp.sign(claims()))).statusCode).toBe(200)
	})
})

// Each limit is checked at the millisecond it falls, on a fresh verification (the cache off, so
// the cache's own window cannot hide a wrong limit in checkTimes): the last moment before is
// accepted, the limit itself refused. A tolerance counted twice, or a limit one tick late, would
// otherwise keep an expired or too old token usable without any test failing.
describe('time claim limits', () => {
	const at = (overrides: Partial<JwtAuthOptions>) => {
		const clock = fakeClock()
		return {
			clock,
			run: pipeline(options({ now: clock.now, verifiedTokenCache: false, ...overrides })),
		}
	}
	const issuedAt = () => Math.floor(Date.now() / 1000)

	it('refuses a token from exp plus the clock tolerance on, not later', async () => {
		const { run, clock } = at({ clockToleranceSec: 30 })
		const exp = issuedAt() + 60
		const token = await idp.sign(claims({ exp }))
		clock.set((exp + 30) * 1000 - 1)
		expect((await run.withToken(token)).statusCode).toBe(200)
		clock.set((exp + 30) * 1000)
		expectRejected(await run.withToken(token), 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_expired')
		expect(run.seen).toHaveLength(1)
	})

	it('refuses a token from iat plus maxTokenAgeSec plus the tolerance on, not later', async () => {
		const { run, clock } = at({ clockToleranceSec: 5, maxTokenAgeSec: 60 })
		const iat = issuedAt()
		const token = await idp.sign(claims({ iat }))
		clock.set((iat + 65) * 1000 - 1)
		expect((await run.withToken(token)).statusCode).toBe(200)
		clock.set((iat + 65) * 1000)
		expectRejected(await run.withToken(token), 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_too_old')
		expect(run.seen).toHaveLength(1)
	})
})

describe('where the token comes from', () => {
	const expectAccepted = async (
		overrides: Partial<JwtAuthOptions>,
		event: (token: string) => Parameters<ReturnType<typeof pipeline>['invoke']>[0],
	) => {
		const run = pipeline(options(overrides))
		const outcome = await run.invoke(event(await idp.sign(claims())))
		expect(outcome.statusCode).toBe(200)
	}

	it.each([
		[
			'REST API (v1, multiValueHeaders)',
			(token: string) => restApiEvent({ headers: { Authorization: `Bearer ${token}` } }),
		],
		['ALB', (token: string) => albEvent({ headers: { authorization: `Bearer ${token}` } })],
		[
			'ALB with multi-value headers',
			(token: string) =>
				albEvent({ headers: { authorization: `Bearer ${token}` }, multiValue: true }),
		],
		[
			'Function URL',
			(token: string) => functionUrlEvent({ headers: { authorization: `Bearer ${token}` } }),
		],
		[
			'upper-case header name and scheme',
			(token: string) => restApiEvent({ headers: { AUTHORIZATION: `BEARER ${token}` } }),
		],
	])('reads Authorization: Bearer from %s', async (_name, event) => {
		await expectAccepted({}, event as never)
	})

	it('reads another header', async () => {
		await expectAccepted({ tokenSource: { header: 'X-Access-Token' } }, (token) =>
			httpApiEvent({ headers: { 'x-access-token': token } }),
		)
	})

	it('reads a cookie from HTTP API cookies and from a Cookie header', async () => {
		await expectAccepted({ tokenSource: { cookie: 'session' } }, (token) =>
			httpApiEvent({ headers: { cookie: `theme=dark; session=${token}` } }),
		)
		await expectAccepted({ tokenSource: { cookie: 'session' } }, (token) =>
			restApiEvent({ headers: { Cookie: `session=${token}` } }),
		)
	})

	it('reads from a function of the event', async () => {
		await expectAccepted(
			{ tokenSource: (event) => event.queryStringParameters?.access_token },
			(token) => httpApiEvent({ query: { access_token: token } }),
		)
	})

	it('refuses with 401 when the function throws or returns a non-string', async () => {
		for (const tokenSource of [
			() => {
				throw new Error('bug')
			},
			() => 42 as unknown as string,
		]) {
			const run = pipeline(options({ tokenSource }))
			expectRejected(
				await run.invoke(httpApiEvent()),
				401,
				'Bearer realm="api", error="invalid_token"',
			)
			expect(run.lastReason()).toBe('jwt_token_source')
		}
	})

	it('answers a bare challenge, as for no token at all, when the function finds none', async () => {
		for (const tokenSource of [() => undefined, () => '']) {
			const run = pipeline(options({ tokenSource }))
			expectRejected(await run.invoke(httpApiEvent()), 401, 'Bearer realm="api"')
			expect(run.lastReason()).toBe('jwt_missing')
		}
	})

	it('refuses a token over 16 KiB from the function, even one validly signed', async () => {
		// A function's token meets no cap before this one; the Authorization header's (the token's
		// plus 64 for its scheme) lets this one through to it too.
		const token = await idp.sign(claims({ padding: 'x'.repeat(11_840) }))
		expect(token.length).toBeGreaterThan(16_384)
		expect(`Bearer ${token}`.length).toBeLessThanOrEqual(16_448)
		const run = pipeline(options({ tokenSource: () => token }))
		expectRejected(await run.invoke(httpApiEvent()), 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_too_large')
		expect(run.seen).toEqual([])
		// The same token in an Authorization header: under the header's cap, refused all the same.
		const header = pipeline(options())
		expectRejected(await header.withToken(token), 401, invalidToken)
		expect(header.lastReason()).toBe('jwt_too_large')
	})

	it('answers 500, not 401 to everyone, when the function returns a promise', async () => {
		const token = await idp.sign(claims())
		const run = pipeline(options({ tokenSource: () => Promise.resolve(token) as never }))
		const outcome = await run.invoke(httpApiEvent())
		expect(outcome).toMatchObject({ statusCode: 500 })
		expect(run.seen).toEqual([])
	})

	it('uses the configured realm in every challenge', async () => {
		const run = pipeline(options({ realm: 'items' }))
		expectRejected(await run.invoke(httpApiEvent()), 401, 'Bearer realm="items"')
		expectRejected(await run.withToken('a.b.c'), 401, 'Bearer realm="items", error="invalid_token"')
	})

	it('sends the challenge in multiValueHeaders to an ALB target group with multi-value headers', async () => {
		const handler = middy<ALBEvent, ALBResult>()
			.use(albMultiValueHeaders())
			.use(httpErrorHandler({ logger: false }))
			.use(jwtAuth(options()))
			.handler(async () => ({ statusCode: 200, body: 'ok' }))
		const response = await handler(
			albEvent({ headers: { authorization: 'Bearer a.b.c' }, multiValue: true }),
			lambdaContext(),
		)
		expect(response).toEqual({
			statusCode: 401,
			body: 'Unauthorized',
			multiValueHeaders: {
				'Content-Type': ['text/plain'],
				'WWW-Authenticate': ['Bearer realm="api", error="invalid_token"'],
			},
		})
	})
})

describe('scopes and tenant', () => {
	it('reads scopes from scope or scp, each as a string or an array (Duende sends scope as one)', async () => {
		const run = pipeline(options({ requiredScopes: ['items:read'] }))
		for (const extra of [
			{ scope: 'items:read  items:write' },
			{ scope: ['items:read', 'items:write'] },
			{ scp: ['items:read', 'items:write'] },
			{ scp: 'items:write items:read' },
		]) {
			expect((await run.withToken(await idp.sign(claims(extra)))).statusCode).toBe(200)
		}
		expect(run.seen.map((auth) => [...auth.scopes].sort())).toEqual(
			Array(4).fill(['items:read', 'items:write']),
		)
	})

	it('refuses a scope claim that is neither a string nor an array of strings', async () => {
		const run = pipeline(options())
		for (const scope of [42, ['items:read', 7], { read: true }]) {
			expectRejected(await run.withToken(await idp.sign(claims({ scope }))), 401)
			expect(run.lastReason()).toBe('jwt_claim_invalid')
		}
	})

	it('reads custom:tenant_id or tenant_id, and both when they agree', async () => {
		const run = pipeline(options())
		await run.withToken(
			await idp.sign(claims({ 'custom:tenant_id': 'first', tenant_id: undefined })),
		)
		await run.withToken(await idp.sign(claims({ tenant_id: 'second' })))
		await run.withToken(await idp.sign(claims({ 'custom:tenant_id': 'third', tenant_id: 'third' })))
		expect(run.seen.map((auth) => auth.tenantId)).toEqual(['first', 'second', 'third'])
	})

	it('refuses a token whose tenant claims name different tenants', async () => {
		const run = pipeline(options())
		const response = await run.withToken(
			await idp.sign(claims({ 'custom:tenant_id': 'first', tenant_id: 'second' })),
		)
		expect(response.statusCode).toBe(403)
		expect(run.seen).toEqual([])
	})

	it('reads a configured tenant claim and validates it with an anchored pattern', async () => {
		const run = pipeline(options({ tenantClaim: 'org', tenantIdPattern: /[a-z]+/ }))
		expect((await run.withToken(await idp.sign(claims({ org: 'acme' })))).statusCode).toBe(200)
		expectRejected(await run.withToken(await idp.sign(claims({ org: 'acme-1' }))), 403, null)
		expect(run.lastReason()).toBe('jwt_tenant_invalid')
	})

	it('leaves tenantId undefined when a tenant is not required', async () => {
		const run = pipeline(options({ tenantRequired: false }))
		expect((await run.withToken(await idp.sign(claims({ tenant_id: undefined })))).statusCode).toBe(
			200,
		)
		expect(run.seen[0]?.tenantId).toBeUndefined()
	})
})

describe('Cognito', () => {
	const pool = 'eu-central-1_Pool42'
	const iss = `https://cognito-idp.eu-central-1.amazonaws.com/${pool}`
	const cognito = (overrides: Record<string, unknown> = {}): Partial<JwtAuthOptions> => ({
		issuers: undefined,
		cognito: {
			userPoolId: pool,
			clientId: ['web', 'mobile'],
			tokenUse: 'access',
			jwksUri: idp.jwksUri,
			...overrides,
		},
	})
	const access = (extra: Record<string, unknown> = {}) =>
		idp.sign(claims({ iss, aud: undefined, token_use: 'access', client_id: 'web', ...extra }))
	const id = (extra: Record<string, unknown> = {}) =>
		idp.sign(claims({ iss, aud: 'mobile', token_use: 'id', 'custom:tenant_id': 'acme', ...extra }))

	it('accepts an access token of a configured client within the required groups', async () => {
		const run = pipeline(options(cognito({ groups: ['admins', 'editors'] })))
		const outcome = await run.withToken(
			await access({ 'cognito:groups': ['editors'], scope: 'aws.cognito.signin.user.admin' }),
		)
		expect(outcome.statusCode).toBe(200)
		expect(run.seen[0]).toMatchObject({ issuer: iss, subject: 'user-1' })
	})

	it('takes a typ of its own, e.g. none beside an issuer that requires at+jwt', async () => {
		const run = pipeline(options({ ...cognito({ typ: null }), typ: 'at+jwt' }))
		expect((await run.withToken(await access())).statusCode).toBe(200)
		const strict = pipeline(options({ ...cognito(), typ: 'at+jwt' }))
		expect((await strict.withToken(await access())).statusCode).toBe(401)
	})

	it('accepts id tokens with tokenUse id, and both kinds with tokenUse null', async () => {
		const idOnly = pipeline(options(cognito({ tokenUse: 'id' })))
		expect((await idOnly.withToken(await id())).statusCode).toBe(200)
		const both = pipeline(options(cognito({ tokenUse: null })))
		expect((await both.withToken(await id())).statusCode).toBe(200)
		expect((await both.withToken(await access())).statusCode).toBe(200)
	})

	it('accepts any app client with clientId null', async () => {
		const run = pipeline(options(cognito({ clientId: null })))
		expect((await run.withToken(await access({ client_id: 'anything' }))).statusCode).toBe(200)
	})

	it("accepts the pool's tokens under either issuer configuration, from one JWKS", async () => {
		idp.resetCalls()
		const run = pipeline(options(cognito()))
		const updated = `https://issuer-cognito-idp.eu-central-1.amazonaws.com/${pool}`
		expect((await run.withToken(await access({ iss: updated }))).statusCode).toBe(200)
		expect((await run.withToken(await access())).statusCode).toBe(200)
		expect(run.seen.map((auth) => auth.issuer)).toEqual([updated, iss])
		expect(idp.jwksCalls()).toBe(1)
		const otherPool = `https://issuer-cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Other1`
		expect((await run.withToken(await access({ iss: otherPool }))).statusCode).toBe(401)
	})

	it('names the issuer in the China partition with its own domain', async () => {
		const run = pipeline(options(cognito({ userPoolId: 'cn-north-1_Pool9' })))
		for (const host of ['cognito-idp', 'issuer-cognito-idp']) {
			const token = await access({
				iss: `https://${host}.cn-north-1.amazonaws.com.cn/cn-north-1_Pool9`,
			})
			expect((await run.withToken(token)).statusCode).toBe(200)
		}
	})

	it('takes the pool from COGNITO_USER_POOL_ID and the region from AWS_REGION when the id has no region prefix', async () => {
		const saved = { ...process.env }
		Object.assign(process.env, { COGNITO_USER_POOL_ID: 'local_Pool7', AWS_REGION: 'ap-south-1' })
		try {
			const run = pipeline(options(cognito({ userPoolId: undefined })))
			const token = await access({
				iss: 'https://cognito-idp.ap-south-1.amazonaws.com/local_Pool7',
			})
			expect((await run.withToken(token)).statusCode).toBe(200)
		} finally {
			process.env = saved
		}
	})
})

describe('verified-token cache', () => {
	const timed = (overrides: Partial<JwtAuthOptions> = {}) => {
		const clock = fakeClock()
		return { clock, run: pipeline(options({ now: clock.now, ...overrides })) }
	}
	const nowSec = () => Math.floor(Date.now() / 1000)

	it('serves a repeated token from the cache (the same frozen result)', async () => {
		const { run } = timed()
		const token = await idp.sign(claims())
		await run.withToken(token)
		await run.withToken(token)
		expect(run.seen[0]).toBe(run.seen[1])
	})

	it('verifies every time when disabled', async () => {
		const { run } = timed({ verifiedTokenCache: false })
		const token = await idp.sign(claims())
		await run.withToken(token)
		await run.withToken(token)
		expect(run.seen[0]).not.toBe(run.seen[1])
		expect(run.seen[0]).toEqual(run.seen[1])
	})

	it('never serves a token past its exp', async () => {
		const { run, clock } = timed()
		const token = await idp.sign(claims({ exp: nowSec() + 10 }))
		expect((await run.withToken(token)).statusCode).toBe(200)
		clock.advance(10_000)
		expectRejected(await run.withToken(token), 401)
		expect(run.lastReason()).toBe('jwt_expired')
	})

	it('never serves a token past maxTokenAgeSec', async () => {
		const { run, clock } = timed({ maxTokenAgeSec: 30 })
		const token = await idp.sign(claims({ iat: nowSec() }))
		expect((await run.withToken(token)).statusCode).toBe(200)
		clock.advance(30_000)
		expectRejected(await run.withToken(token), 401)
		expect(run.lastReason()).toBe('jwt_too_old')
	})

	it('re-checks nbf on a hit when the clock goes back', async () => {
		const { run, clock } = timed()
		const token = await idp.sign(claims({ nbf: nowSec() }))
		expect((await run.withToken(token)).statusCode).toBe(200)
		clock.advance(-5_000)
		expectRejected(await run.withToken(token), 401)
		expect(run.lastReason()).toBe('jwt_not_yet_valid')
	})

	it('keeps an entry no longer than the JWKS cacheMaxAgeMs', async () => {
		const local = await startIdentityProvider({ algorithms: ['ES256'] })
		const clock = fakeClock()
		const run = pipeline({
			issuers: { issuer: local.issuer, audience: 'api' },
			jwks: { cacheMaxAgeMs: 60_000 },
			now: clock.now,
		})
		const token = await local.sign(claims(), { alg: 'ES256' })
		expect((await run.withToken(token)).statusCode).toBe(200)
		await local.rotateKeys()
		clock.advance(59_999)
		expect((await run.withToken(token)).statusCode).toBe(200)
		clock.advance(1)
		expectRejected(await run.withToken(token), 401)
		expect(run.lastReason()).toBe('jwt_unknown_kid')
		await local.stop()
	})

	it('holds at most maxEntries tokens', async () => {
		const { run } = timed({ verifiedTokenCache: { maxEntries: 2 } })
		const tokens = await Promise.all([1, 2, 3].map(() => idp.sign(claims())))
		for (const token of [...tokens, tokens[0] as string]) await run.withToken(token)
		expect(run.seen[3]).not.toBe(run.seen[0])
		expect(run.seen[3]).toEqual(run.seen[0])
	})
})

describe('tracing', () => {
	it('wraps each JWKS fetch in a subsegment and annotates the tenant', async () => {
		const subsegments: string[] = []
		const annotations: [string, unknown][] = []
		const segment = {
			addNewSubsegment: (name: string) => {
				subsegments.push(name)
				return { addAnnotation: () => undefined, addError: () => undefined, close: () => undefined }
			},
		}
		const tracer: TracerLike = {
			isTracingEnabled: () => true,
			getSegment: () => segment,
			setSegment: () => undefined,
			putAnnotation: (key, value) => annotations.push([key, value]),
		}
		const run = pipeline(options({ tracer, prefetch: false }))
		expect((await run.withToken(await idp.sign(claims()))).statusCode).toBe(200)
		expect(subsegments).toEqual([`JWKS ${new URL(idp.issuer).host}`])
		expect(annotations).toEqual([['tenant_id', 'acme']])
	})
})
