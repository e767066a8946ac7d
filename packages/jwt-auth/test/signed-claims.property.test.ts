import {
	albEvent,
	functionUrlEvent,
	httpApiEvent,
	type LocalIdentityProvider,
	restApiEvent,
	type SigningAlgorithm,
	startIdentityProvider,
	tenantLookAlikes,
} from '@tenantry/testing'
import type { HttpEventLike } from '@tenantry/util'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pipeline } from './helpers.js'

// The mutation fuzz never re-signs, so every claim check after the signature was out of its
// reach: here each token is validly signed and only its claims and header members are off.
// A whole second on the clock, so that `exp`, `nbf` and `iat` can sit exactly on `now`.
const nowMs = 1_800_000_000_000
const nowSec = nowMs / 1000
const numRuns = Number(process.env.TENANTRY_PROPERTY_RUNS ?? 3_000)

const absent = Symbol('absent')
type Maybe<T> = T | typeof absent

/**
 * Mostly the value a valid token carries, sometimes one that is off by a little: most tokens
 * then differ from a valid one in one or two places, so every single check decides some runs.
 */
const mostly = <T>(valid: fc.Arbitrary<T>, off: readonly T[]) =>
	fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: fc.constantFrom(...off) })
const same = <T>(value: T) => fc.constant(value)

/** Tenant ids and their look-alikes: case, padding, separators, confusables, escapes, length. */
const lookAlikes: readonly Maybe<unknown>[] = [
	'globex',
	...tenantLookAlikes('acme'),
	'a'.repeat(64),
	'a'.repeat(65),
	'',
	7,
	null,
	['acme'],
]
const tenantValue = mostly(
	fc.constantFrom<Maybe<unknown>>(absent, 'acme', 'acme', 'globex'),
	lookAlikes,
)
const audience = mostly(fc.constantFrom<Maybe<unknown>>('api', ['other', 'api']), [
	'API',
	'api ',
	'other',
	[],
	['api', 1],
	absent,
	null,
])
const subject = mostly(same<Maybe<unknown>>('user-1'), ['', 5, null, absent])
const scope = mostly(
	fc.constantFrom<Maybe<unknown>>('items:read items:write', 'items:write  items:read', [
		'items:read',
		'items:write',
	]),
	[
		'items:read',
		'items:read,items:write',
		'Items:Read items:write',
		'',
		5,
		['items:read', 5],
		absent,
	],
)
/** Seconds from now; `0` is the boundary each time claim is checked at (jose signs numbers only). */
const offset = (valid: Maybe<unknown>, off: readonly Maybe<unknown>[]) => mostly(same(valid), off)
const typ = mostly(fc.constantFrom<Maybe<unknown>>('at+jwt', 'AT+JWT', 'application/at+jwt'), [
	'JWT',
	'at+jwt ',
	'jwt',
	1,
	absent,
])

const scenario = fc.record({
	alg: mostly<SigningAlgorithm>(fc.constantFrom('RS256', 'ES256', 'EdDSA'), ['PS256']),
	typ,
	issuer: mostly(same('own'), ['other', 'evil']),
	aud: audience,
	sub: subject,
	tenantId: tenantValue,
	customTenantId: tenantValue,
	scope,
	exp: offset(3600, [1, 0, -1, absent]),
	nbf: offset(absent, [0, 1, -1]),
	iat: offset(0, [-10, 1, absent]),
	carrier: fc.constantFrom('http', 'rest', 'rest-multi', 'alb', 'alb-multi', 'url', 'odd-case'),
})
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never

const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
const required = ['items:read', 'items:write']
const acceptedAlgs = new Set(['RS256', 'ES256', 'EdDSA'])

/** The documented rules written out: the tenant the token is accepted for, or `undefined`. */
const expected = (s: Scenario): { tenantId: string } | undefined => {
	if (!acceptedAlgs.has(s.alg)) return undefined
	if (s.issuer !== 'own') return undefined
	if (typeof s.typ !== 'string' || s.typ.toLowerCase().replace(/^application\//, '') !== 'at+jwt')
		return undefined
	const aud = s.aud
	if (
		!(
			aud === 'api' ||
			(Array.isArray(aud) && aud.every((a) => typeof a === 'string') && aud.includes('api'))
		)
	)
		return undefined
	if (typeof s.sub !== 'string' || s.sub === '') return undefined
	if (typeof s.exp !== 'number' || !(nowSec < nowSec + s.exp)) return undefined
	if (s.nbf !== absent && (typeof s.nbf !== 'number' || nowSec < nowSec + s.nbf)) return undefined
	if (s.iat !== absent && (typeof s.iat !== 'number' || nowSec + s.iat > nowSec)) return undefined
	const scopes =
		typeof s.scope === 'string'
			? s.scope.split(' ').filter((each) => each !== '')
			: Array.isArray(s.scope) && s.scope.every((each) => typeof each === 'string')
				? s.scope
				: s.scope === absent
					? []
					: undefined
	if (scopes === undefined || !required.every((each) => scopes.includes(each))) return undefined
	const claimed = [s.customTenantId, s.tenantId].filter((value) => value !== absent)
	if (claimed.length === 0) return undefined
	if (!claimed.every((value) => typeof value === 'string' && tenantPattern.test(value)))
		return undefined
	if (claimed.some((value) => value !== claimed[0])) return undefined
	return { tenantId: claimed[0] as string }
}

/**
 * An ALB event as the middleware's event type: its `requestContext` (`elb`) shares no member
 * with the API Gateway one `HttpEventLike` describes, though the middleware reads either.
 */
const alb = (event: object): HttpEventLike => event as HttpEventLike

/** The same bearer token as each gateway shape delivers it. */
const eventFor = (carrier: Scenario['carrier'], token: string): HttpEventLike => {
	const headers = { authorization: `Bearer ${token}` }
	switch (carrier) {
		case 'http':
			return httpApiEvent({ headers })
		case 'rest':
			return restApiEvent({ headers: { Authorization: `Bearer ${token}` } })
		case 'rest-multi': {
			// REST keeps both records; a handler may read either, both carry the one token.
			const event = restApiEvent({ headers: { Authorization: `Bearer ${token}` } })
			return { ...event, multiValueHeaders: { Authorization: [`Bearer ${token}`] } }
		}
		case 'alb':
			return alb(albEvent({ headers }))
		case 'alb-multi':
			return alb(albEvent({ headers, multiValue: true }))
		case 'url':
			return functionUrlEvent({ headers })
		case 'odd-case':
			return restApiEvent({ headers: { AUTHORIZATION: `Bearer ${token}` } })
	}
}

let own: LocalIdentityProvider
let other: LocalIdentityProvider
let run: ReturnType<typeof pipeline>

beforeAll(async () => {
	const now = () => nowMs
	own = await startIdentityProvider({ now, algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'] })
	other = await startIdentityProvider({ now, algorithms: ['PS256'] })
	run = pipeline({
		// PS256 is allowed for the other issuer only: a PS256 token of `own` must not pass on the
		// strength of the union of the issuers' algorithms.
		issuers: [
			{
				issuer: own.issuer,
				audience: 'api',
				algorithms: ['RS256', 'ES256', 'EdDSA'],
				typ: 'at+jwt',
			},
			{ issuer: other.issuer, audience: 'api', algorithms: ['PS256'], typ: null },
		],
		requiredScopes: required,
		now,
	})
})
afterAll(async () => {
	await own.stop()
	await other.stop()
})

describe('validly signed tokens with claims off by a little', () => {
	it('are accepted exactly when the rules say, and then for the claimed tenant only', async () => {
		let accepted = 0
		await fc.assert(
			fc.asyncProperty(scenario, async (s) => {
				const claims: Record<string, unknown> = {
					iss:
						s.issuer === 'own'
							? own.issuer
							: s.issuer === 'other'
								? other.issuer
								: 'https://evil.example',
				}
				const put = (name: string, value: unknown) => {
					claims[name] = value === absent ? undefined : value
				}
				put('aud', s.aud)
				put('sub', s.sub)
				put('tenant_id', s.tenantId)
				put('custom:tenant_id', s.customTenantId)
				put('scope', s.scope)
				put('nbf', typeof s.nbf === 'number' ? nowSec + s.nbf : s.nbf)
				put('iat', typeof s.iat === 'number' ? nowSec + s.iat : s.iat)
				put('exp', typeof s.exp === 'number' ? nowSec + s.exp : s.exp)
				const token = await own.sign(claims as never, {
					alg: s.alg,
					header: { typ: s.typ === absent ? undefined : s.typ },
				})
				const ran = run.seen.length
				const outcome = await run.invoke(eventFor(s.carrier, token))
				const want = expected(s)
				if (want === undefined) {
					expect([401, 403]).toContain(outcome.statusCode)
					expect(run.seen).toHaveLength(ran)
					return
				}
				accepted++
				expect(outcome.statusCode).toBe(200)
				expect(run.seen).toHaveLength(ran + 1)
				expect(run.seen.at(-1)?.tenantId).toBe(want.tenantId)
				expect(run.seen.at(-1)?.subject).toBe(s.sub)
			}),
			{ numRuns },
		)
		// A generator drifting to refusals only would still pass: the oracle's 200 branch must run.
		expect(accepted).toBeGreaterThan(numRuns / 20)
	}, 120_000)

	it('a copy of a valid token beside it (a second header line) is refused, never half-read', async () => {
		const token = await own.sign(
			{ aud: 'api', sub: 'user-1', tenant_id: 'acme', scope: 'items:read items:write' },
			{ alg: 'ES256', header: { typ: 'at+jwt' } },
		)
		const foreign = await own.sign(
			{ aud: 'api', sub: 'user-2', tenant_id: 'globex', scope: 'items:read items:write' },
			{ alg: 'ES256', header: { typ: 'at+jwt' } },
		)
		expect(
			(await run.invoke(httpApiEvent({ headers: { authorization: `Bearer ${token}` } })))
				.statusCode,
		).toBe(200)
		const ran = run.seen.length
		for (const event of [
			albEvent({ headers: { authorization: `Bearer ${token}` }, multiValue: true }),
			restApiEvent({ headers: { Authorization: `Bearer ${token}` } }),
		]) {
			const lines = {
				...event,
				multiValueHeaders: { Authorization: [`Bearer ${foreign}`, `Bearer ${token}`] },
			}
			const twoSpellings = {
				...event,
				multiValueHeaders: undefined,
				headers: { Authorization: `Bearer ${token}`, authorization: `Bearer ${foreign}` },
			}
			for (const each of [lines, twoSpellings]) {
				expect((await run.invoke(each as HttpEventLike)).statusCode).toBe(401)
			}
		}
		expect(run.seen).toHaveLength(ran)
	})

	it('events of any shape without a valid token get a 401, never a 500 or the handler', async () => {
		// What hand-made invocations and odd gateways send: names in any case, arrays, numbers,
		// objects and Buffers where strings belong, records that are not records.
		const spelling = fc.constantFrom(
			'authorization',
			'Authorization',
			'AUTHORIZATION',
			'authorizatioN',
		)
		const line = fc.oneof(
			fc.string({ maxLength: 40 }).map((text) => `Bearer ${text}`),
			fc.constantFrom(
				'Bearer',
				'Bearer ',
				'bearer x.y.z',
				'Basic YTpi',
				'Bearer a.b.c, Bearer a.b.c',
			),
			fc.anything({ maxDepth: 1 }),
			fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
		)
		const headerRecord = fc.oneof(
			fc.dictionary(spelling, line, { maxKeys: 3 }),
			fc.anything({ maxDepth: 1 }),
		)
		const multiRecord = fc.oneof(
			fc.dictionary(spelling, fc.oneof(fc.array(line, { maxLength: 3 }), line), { maxKeys: 3 }),
			fc.anything({ maxDepth: 1 }),
		)
		const ran = run.seen.length
		await fc.assert(
			fc.asyncProperty(
				fc.record(
					{
						version: fc.constantFrom('2.0', '1.0', undefined),
						headers: headerRecord,
						multiValueHeaders: multiRecord,
						cookies: fc.anything({ maxDepth: 1 }),
						body: fc.anything({ maxDepth: 1 }),
						requestContext: fc.anything({ maxDepth: 1 }),
					},
					{ requiredKeys: [] },
				),
				async (event) => {
					const outcome = await run.invoke(event as HttpEventLike)
					expect(outcome.statusCode).toBe(401)
				},
			),
			{ numRuns: Math.ceil(numRuns / 3) },
		)
		expect(run.seen).toHaveLength(ran)
	})
})
