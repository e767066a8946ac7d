import {
	gatewayEvent,
	gateways,
	type HeaderCasing,
	httpApiEvent,
	type LocalIdentityProvider,
	startIdentityProvider,
} from '@tenantry/testing'
import { type HttpEventLike, isHttpError } from '@tenantry/util'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CrossSiteRequestError, JwtAuthError } from '../src/index.js'
import { encodePart, pipeline } from './helpers.js'

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const headerFields = ['alg', 'kid', 'typ', 'crit', 'jku', 'jwk', 'x5c', 'x5u', 'b64', 'cty']
const payloadFields = [
	'iss',
	'sub',
	'aud',
	'exp',
	'nbf',
	'iat',
	'tenant_id',
	'custom:tenant_id',
	'scope',
	'scp',
	'__proto__',
	'constructor',
]

type Mutation =
	| { kind: 'flip'; at: number; bit: number }
	| { kind: 'replace'; at: number; char: string }
	| { kind: 'delete'; at: number; length: number }
	| { kind: 'insert'; at: number; text: string }
	| { kind: 'truncate'; at: number }
	| { kind: 'tail'; part: number; char: string }
	| { kind: 'swap'; a: number; b: number }
	| { kind: 'foreign'; part: number; from: number }
	| { kind: 'header' | 'payload'; field: string; value: unknown }
	| { kind: 'garbage'; text: string }

const nat = fc.nat({ max: 4_000 })
const interesting = fc.constantFrom(
	'none',
	'None',
	'HS256',
	'RS256',
	'PS256',
	'ES256',
	'EdDSA',
	'__proto__',
	'',
	null,
	0,
	-1,
	1e308,
	[],
	{},
	['b64'],
	true,
)
const jsonish = fc.oneof(interesting, fc.jsonValue({ maxDepth: 2 }))
const base64urlText = fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 80 })

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
	fc.record({ kind: fc.constant('flip' as const), at: nat, bit: fc.integer({ min: 0, max: 15 }) }),
	fc.record({
		kind: fc.constant('replace' as const),
		at: nat,
		char: fc.constantFrom(...alphabet, '.', '=', ' ', '+', '/', ',', '\u00e9', '\u0000', '\ud83d'),
	}),
	fc.record({
		kind: fc.constant('delete' as const),
		at: nat,
		length: fc.integer({ min: 1, max: 40 }),
	}),
	fc.record({
		kind: fc.constant('insert' as const),
		at: nat,
		text: fc.oneof(base64urlText, fc.string({ maxLength: 8 })),
	}),
	fc.record({ kind: fc.constant('truncate' as const), at: nat }),
	// The last character of a part carries unused bits: a non-canonical twin must not verify.
	fc.record({
		kind: fc.constant('tail' as const),
		part: fc.integer({ min: 0, max: 2 }),
		char: fc.constantFrom(...alphabet),
	}),
	fc.record({
		kind: fc.constant('swap' as const),
		a: fc.integer({ min: 0, max: 2 }),
		b: fc.integer({ min: 0, max: 2 }),
	}),
	fc.record({
		kind: fc.constant('foreign' as const),
		part: fc.integer({ min: 0, max: 2 }),
		from: nat,
	}),
	fc.record({
		kind: fc.constant('header' as const),
		field: fc.constantFrom(...headerFields),
		value: jsonish,
	}),
	fc.record({
		kind: fc.constant('payload' as const),
		field: fc.constantFrom(...payloadFields),
		value: jsonish,
	}),
	fc.record({
		kind: fc.constant('garbage' as const),
		text: fc.oneof(
			fc.string({ maxLength: 120 }),
			fc.array(base64urlText, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.')),
		),
	}),
)

/** Re-encodes one JSON part with `field` set, leaving the others (and the signature) as they are. */
const editPart = (token: string, index: 0 | 1, field: string, value: unknown): string => {
	const parts = token.split('.')
	try {
		const decoded = JSON.parse(Buffer.from(parts[index] ?? '', 'base64url').toString('utf8'))
		if (typeof decoded !== 'object' || decoded === null) return token
		Object.defineProperty(decoded, field, {
			value,
			enumerable: true,
			configurable: true,
			writable: true,
		})
		parts[index] = encodePart(decoded)
		return parts.join('.')
	} catch {
		return token
	}
}

const apply = (token: string, change: Mutation, donors: readonly string[]): string => {
	const at = token.length === 0 ? 0 : 'at' in change ? change.at % token.length : 0
	switch (change.kind) {
		case 'flip':
			return `${token.slice(0, at)}${String.fromCharCode((token.charCodeAt(at) ^ (1 << change.bit)) & 0xffff)}${token.slice(at + 1)}`
		case 'replace':
			return `${token.slice(0, at)}${change.char}${token.slice(at + 1)}`
		case 'delete':
			return `${token.slice(0, at)}${token.slice(at + change.length)}`
		case 'insert':
			return `${token.slice(0, at)}${change.text}${token.slice(at)}`
		case 'truncate':
			return token.slice(0, at)
		case 'tail': {
			const parts = token.split('.')
			const part = parts[change.part]
			if (part) parts[change.part] = `${part.slice(0, -1)}${change.char}`
			return parts.join('.')
		}
		case 'swap': {
			const parts = token.split('.')
			const a = parts[change.a]
			parts[change.a] = parts[change.b] ?? ''
			parts[change.b] = a ?? ''
			return parts.join('.')
		}
		case 'foreign': {
			const parts = token.split('.')
			const donor = (donors[change.from % donors.length] ?? '').split('.')
			parts[change.part] = donor[change.part] ?? ''
			return parts.join('.')
		}
		case 'header':
			return editPart(token, 0, change.field, change.value)
		case 'payload':
			return editPart(token, 1, change.field, change.value)
		case 'garbage':
			return change.text
	}
}

let idp: LocalIdentityProvider
let originals: string[]
let run: ReturnType<typeof pipeline>

beforeAll(async () => {
	idp = await startIdentityProvider({ algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'] })
	run = pipeline({
		issuers: { issuer: idp.issuer, audience: 'api' },
		requiredScopes: ['items:read'],
	})
	originals = await Promise.all(
		(['RS256', 'ES256', 'PS256', 'EdDSA'] as const).map((alg) =>
			idp.sign(
				{ sub: 'user-1', aud: 'api', tenant_id: 'acme', scope: 'items:read items:write' },
				{ alg },
			),
		),
	)
	for (const token of originals) expect((await run.withToken(token)).statusCode).toBe(200)
})
afterAll(() => idp.stop())

describe('mutated tokens', () => {
	it('are refused with a 401/403/503 carrying a reason, unless byte-identical to a valid one', async () => {
		const statuses = new Map<number, number>()
		await fc.assert(
			fc.asyncProperty(
				fc.integer({ min: 0, max: originals.length - 1 }),
				fc.array(mutation, { minLength: 1, maxLength: 3 }),
				async (which, changes) => {
					const original = originals[which] as string
					const mutated = changes.reduce(
						(token, change) => apply(token, change, originals),
						original,
					)
					const accepted = run.seen.length
					const logged = run.logged.length
					const outcome = await run.withToken(mutated)
					statuses.set(outcome.statusCode, (statuses.get(outcome.statusCode) ?? 0) + 1)
					if (originals.includes(mutated)) {
						expect(outcome.statusCode).toBe(200)
						return
					}
					expect([401, 403, 503]).toContain(outcome.statusCode)
					expect(run.seen.length).toBe(accepted)
					expect(outcome.body).not.toMatch(/jwt_|jwks_|stack|Error/)
					const error = run.logged[logged]
					expect(isHttpError(error) && error.cause instanceof JwtAuthError).toBe(true)
				},
			),
			{ numRuns: 2_500 },
		)
		// Every mutation is a broken credential: nothing got as far as the 403 checks.
		expect([...statuses.keys()].filter((status) => status !== 200 && status !== 401)).toEqual([])
	})

	it('any Authorization header value gets a 401 and never reaches the handler', async () => {
		const accepted = run.seen.length
		await fc.assert(
			fc.asyncProperty(fc.string({ maxLength: 300 }), async (value) => {
				const outcome = await run.invoke(httpApiEvent({ headers: { authorization: value } }))
				expect(outcome.statusCode).toBe(401)
				expect(outcome.body).toBe('Unauthorized')
			}),
			{ numRuns: 500 },
		)
		expect(run.seen.length).toBe(accepted)
	})
})

describe('a session cookie and Sec-Fetch-Site', () => {
	const cookieRun = () =>
		pipeline({
			issuers: { issuer: idp.issuer, audience: 'api' },
			requiredScopes: ['items:read'],
			tokenSource: { cookie: 'session' },
		})
	const methods = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'get', 'TRACE']
	const siteValues = ['cross-site', 'same-site', 'same-origin', 'none', 'Cross-Site', ' none', '']

	it('a valid cookie token is refused with 403 exactly when the request may change state and a value is not same-site', async () => {
		const run = cookieRun()
		let refused = 0
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom(...gateways),
				fc.constantFrom<HeaderCasing>('lower', 'title', 'upper'),
				fc.constantFrom(...methods),
				fc.option(
					fc.array(fc.constantFrom(...siteValues, 'bogus'), { minLength: 1, maxLength: 3 }),
					{
						nil: undefined,
					},
				),
				fc.constantFrom(',', ', '),
				fc.integer({ min: 0, max: originals.length - 1 }),
				async (gateway, casing, method, sites, separator, which) => {
					const headers: Record<string, string> = {
						cookie: `theme=dark; session=${originals[which]}`,
					}
					if (sites !== undefined) headers['sec-fetch-site'] = sites.join(separator)
					const logged = run.logged.length
					const outcome = await run.invoke(
						gatewayEvent(gateway, { method, headers }, casing) as HttpEventLike,
					)
					// The event builders write the method in upper case, as the gateways deliver it.
					const safe = ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase())
					const crossSite =
						!safe &&
						sites !== undefined &&
						sites.some(
							(site) => !['same-origin', 'same-site', 'none'].includes(site.trim().toLowerCase()),
						)
					if (!crossSite) {
						expect(outcome.statusCode).toBe(200)
						return
					}
					refused++
					expect({ status: outcome.statusCode, body: outcome.body }).toEqual({
						status: 403,
						body: 'Forbidden',
					})
					const error = run.logged[logged]
					expect(isHttpError(error) && error.cause instanceof CrossSiteRequestError).toBe(true)
				},
			),
			{ numRuns: 1_000 },
		)
		expect(refused).toBeGreaterThan(100)
	})

	it('events of any shape get a 200, 401 or 403 carrying a reason, never a 500', async () => {
		const run = cookieRun()
		const cookie = `session=${originals[0]}`
		const spelling = fc.constantFrom(
			'cookie',
			'Cookie',
			'sec-fetch-site',
			'Sec-Fetch-Site',
			'SEC-FETCH-SITE',
		)
		const line = fc.oneof(
			fc.constantFrom(cookie, `theme=dark; ${cookie}`, ...siteValues, 'cross-site, none'),
			fc.string({ maxLength: 20 }),
			fc.anything({ maxDepth: 1 }),
		)
		const method = fc.oneof(fc.constantFrom(...methods), fc.anything({ maxDepth: 1 }))
		await fc.assert(
			fc.asyncProperty(
				fc.record(
					{
						version: fc.constantFrom('2.0', '1.0', undefined),
						httpMethod: method,
						headers: fc.oneof(
							fc.dictionary(spelling, line, { maxKeys: 4 }),
							fc.anything({ maxDepth: 1 }),
						),
						multiValueHeaders: fc.oneof(
							fc.dictionary(spelling, fc.oneof(fc.array(line, { maxLength: 3 }), line), {
								maxKeys: 4,
							}),
							fc.anything({ maxDepth: 1 }),
						),
						cookies: fc.oneof(fc.constant([cookie]), fc.anything({ maxDepth: 1 })),
						requestContext: fc.oneof(
							fc.record({ http: fc.record({ method }, { requiredKeys: [] }) }),
							fc.anything({ maxDepth: 1 }),
						),
					},
					{ requiredKeys: [] },
				),
				async (event) => {
					const logged = run.logged.length
					const outcome = await run.invoke(event as HttpEventLike)
					expect([200, 401, 403]).toContain(outcome.statusCode)
					if (outcome.statusCode === 200) return
					expect(outcome.body).not.toMatch(/jwt_|jwks_|stack|Error/)
					const error = run.logged[logged]
					expect(isHttpError(error) && error.cause instanceof JwtAuthError).toBe(true)
				},
			),
			{ numRuns: 1_000 },
		)
	})
})
