import {
	type Gateway,
	gatewayEvent,
	gateways,
	type HeaderCasing,
	type HttpRequestSpec,
	type LocalIdentityProvider,
	startIdentityProvider,
} from '@tenantry/testing'
import { getCookie, type HttpEventLike, isHttpError } from '@tenantry/util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CrossSiteRequestError, type JwtAuthOptions } from '../src/index.js'
import { expectRejected, pipeline } from './helpers.js'

// A cookie is sent with requests other sites make: a state-changing one from another site is
// refused before its token costs anything; everything else is verified as before.

let idp: LocalIdentityProvider
let token: string

beforeAll(async () => {
	idp = await startIdentityProvider({ algorithms: ['RS256'] })
	token = await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' })
})
afterAll(() => idp.stop())
beforeEach(() => idp.resetCalls())

const options = (overrides: Partial<JwtAuthOptions> = {}): JwtAuthOptions => ({
	issuers: { issuer: idp.issuer, audience: 'api' },
	tokenSource: { cookie: 'session' },
	prefetch: false,
	...overrides,
})

/** The request as `gateway` delivers it, typed as the middleware reads it. */
const eventOn = (gateway: Gateway, spec: HttpRequestSpec, casing?: HeaderCasing): HttpEventLike =>
	gatewayEvent(gateway, spec, casing) as HttpEventLike

/** A request with the session cookie, as `gateway` delivers it. */
const withCookie = (
	gateway: Gateway,
	method: string,
	headers: Record<string, string> = {},
	casing?: HeaderCasing,
) =>
	eventOn(
		gateway,
		{ method, path: '/items/42', headers: { cookie: `theme=dark; session=${token}`, ...headers } },
		casing,
	)

const unsafeMethods = ['POST', 'PUT', 'PATCH', 'DELETE']

/** Refused with the generic 403, its reason in `cause`, without the handler or a JWKS fetch. */
const expectForged = async (
	run: ReturnType<typeof pipeline>,
	event: Parameters<ReturnType<typeof pipeline>['invoke']>[0],
) => {
	const outcome = await run.invoke(event)
	expectRejected(outcome, 403, null)
	expect(run.lastReason()).toBe('jwt_cross_site_request')
	const logged = run.logged.at(-1)
	expect(isHttpError(logged) && logged.cause instanceof CrossSiteRequestError).toBe(true)
	expect(run.seen).toEqual([])
	expect(idp.jwksCalls()).toBe(0)
}

const expectVerified = async (
	run: ReturnType<typeof pipeline>,
	event: Parameters<ReturnType<typeof pipeline>['invoke']>[0],
) => {
	const seen = run.seen.length
	expect(await run.invoke(event)).toMatchObject({ statusCode: 200 })
	expect(run.seen).toHaveLength(seen + 1)
	expect(run.seen.at(-1)).toMatchObject({ subject: 'user-1', tenantId: 'acme' })
}

describe.each(gateways)('a session cookie on %s', (gateway) => {
	it.each(unsafeMethods)(
		'a cross-site %s is refused with 403 before the token is verified',
		async (method) => {
			await expectForged(
				pipeline(options()),
				withCookie(gateway, method, { 'sec-fetch-site': 'cross-site' }),
			)
		},
	)

	it.each(['GET', 'HEAD', 'OPTIONS'])('a cross-site %s is verified as usual', async (method) => {
		const run = pipeline(options())
		await expectVerified(run, withCookie(gateway, method, { 'sec-fetch-site': 'cross-site' }))
		expect(idp.jwksCalls()).toBe(1)
	})

	it.each(['same-origin', 'same-site', 'none'])(
		'a POST from %s is verified as usual',
		async (site) => {
			const run = pipeline(options())
			for (const method of unsafeMethods)
				await expectVerified(run, withCookie(gateway, method, { 'sec-fetch-site': site }))
		},
	)

	it('a POST without Sec-Fetch-Site (not a browser, or an old one sending Origin) is verified', async () => {
		const run = pipeline(options())
		await expectVerified(run, withCookie(gateway, 'POST'))
		await expectVerified(run, withCookie(gateway, 'DELETE', { origin: 'https://evil.example' }))
	})

	it.each<HeaderCasing>(['lower', 'title', 'upper'])(
		'reads the header and the cookie in %s case',
		async (casing) => {
			await expectForged(
				pipeline(options()),
				withCookie(gateway, 'POST', { 'sec-fetch-site': 'cross-site' }, casing),
			)
			await expectVerified(
				pipeline(options()),
				withCookie(gateway, 'POST', { 'sec-fetch-site': 'same-origin' }, casing),
			)
		},
	)

	it('compares values without case, and refuses one no browser sends (fail closed)', async () => {
		for (const site of ['Cross-Site', 'CROSS-SITE', '', 'cross_site', 'same-origin;cross-site'])
			await expectForged(
				pipeline(options()),
				withCookie(gateway, 'PUT', { 'sec-fetch-site': site }),
			)
		await expectVerified(
			pipeline(options()),
			withCookie(gateway, 'PUT', { 'sec-fetch-site': 'Same-Origin' }),
		)
	})

	it('refuses a value listing cross-site beside an accepted one', async () => {
		for (const site of ['same-origin, cross-site', 'cross-site,same-origin', 'none , cross-site'])
			await expectForged(
				pipeline(options()),
				withCookie(gateway, 'POST', { 'sec-fetch-site': site }),
			)
	})

	it('a cross-site POST without the cookie is the usual 401: nothing ambient came with it', async () => {
		const run = pipeline(options())
		const event = eventOn(gateway, {
			method: 'POST',
			headers: { 'sec-fetch-site': 'cross-site' },
		})
		expectRejected(await run.invoke(event), 401, 'Bearer realm="api"')
		expect(run.lastReason()).toBe('jwt_missing')
	})

	it('a cross-site POST is refused even when its token is already in the verified-token cache', async () => {
		const run = pipeline(options())
		await expectVerified(run, withCookie(gateway, 'POST', { 'sec-fetch-site': 'same-origin' }))
		expectRejected(
			await run.invoke(withCookie(gateway, 'POST', { 'sec-fetch-site': 'cross-site' })),
			403,
			null,
		)
		expect(run.lastReason()).toBe('jwt_cross_site_request')
		expect(run.seen).toHaveLength(1)
	})

	it('a cross-site POST with an invalid cookie token is refused as cross-site, unparsed', async () => {
		const run = pipeline(options())
		const event = eventOn(gateway, {
			method: 'POST',
			headers: { cookie: 'session=not.a.token', 'sec-fetch-site': 'cross-site' },
		})
		await expectForged(run, event)
	})

	it("cookieFetchSite: 'same-origin' refuses same-site requests too, but not GETs or none", async () => {
		const run = pipeline(options({ cookieFetchSite: 'same-origin' }))
		for (const site of ['same-site', 'cross-site', 'same-origin, same-site'])
			await expectForged(run, withCookie(gateway, 'PATCH', { 'sec-fetch-site': site }))
		await expectVerified(run, withCookie(gateway, 'PATCH', { 'sec-fetch-site': 'same-origin' }))
		await expectVerified(run, withCookie(gateway, 'POST', { 'sec-fetch-site': 'none' }))
		await expectVerified(run, withCookie(gateway, 'GET', { 'sec-fetch-site': 'same-site' }))
	})

	it("cookieFetchSite: 'any' turns the check off", async () => {
		const run = pipeline(options({ cookieFetchSite: 'any' }))
		for (const method of unsafeMethods)
			await expectVerified(run, withCookie(gateway, method, { 'sec-fetch-site': 'cross-site' }))
	})

	it('a token from Authorization or another header is not ambient: a cross-site POST is verified', async () => {
		const crossSite = { 'sec-fetch-site': 'cross-site' }
		await expectVerified(
			pipeline(options({ tokenSource: undefined })),
			eventOn(gateway, {
				method: 'POST',
				headers: { authorization: `Bearer ${token}`, ...crossSite },
			}),
		)
		await expectVerified(
			pipeline(options({ tokenSource: { header: 'X-Access-Token' } })),
			eventOn(gateway, {
				method: 'DELETE',
				headers: { 'x-access-token': token, ...crossSite },
			}),
		)
	})

	it('a tokenSource function is its own business, even when it reads the cookie', async () => {
		const run = pipeline(options({ tokenSource: (event) => getCookie(event, 'session') }))
		await expectVerified(run, withCookie(gateway, 'POST', { 'sec-fetch-site': 'cross-site' }))
	})
})

describe('a method spelled or missing oddly', () => {
	it.each([
		['a lower-case get (methods are case-sensitive)', 'get'],
		['TRACE', 'TRACE'],
		['an unknown method', 'PROPFIND'],
	])('checks %s', async (_name, method) => {
		const event = withCookie('rest', 'POST', { 'Sec-Fetch-Site': 'cross-site' })
		const spelled = {
			...event,
			httpMethod: method,
			requestContext: { ...event.requestContext, httpMethod: method },
		}
		await expectForged(pipeline(options()), spelled)
	})

	it('checks a request whose event carries no method at all', async () => {
		const event = withCookie('http', 'POST', { 'sec-fetch-site': 'cross-site' })
		const { requestContext } = event as { requestContext: Record<string, unknown> }
		await expectForged(pipeline(options()), {
			...event,
			requestContext: { ...requestContext, http: {} },
		})
	})
})

describe('cookieFetchSite at factory time', () => {
	it.each<[string, Partial<JwtAuthOptions>]>([
		['an unknown value', { cookieFetchSite: 'refuse' as never }],
		['a boolean', { cookieFetchSite: false as never }],
		['null', { cookieFetchSite: null as never }],
		['cross-site, a value no check could mean', { cookieFetchSite: 'cross-site' as never }],
		['the default tokenSource', { tokenSource: undefined, cookieFetchSite: 'same-site' }],
		['a header tokenSource', { tokenSource: { header: 'X-Token' }, cookieFetchSite: 'any' }],
		['a tokenSource function', { tokenSource: () => undefined, cookieFetchSite: 'same-origin' }],
	])('refuses %s with a TypeError naming the option', (_name, overrides) => {
		let thrown: unknown
		try {
			pipeline(options(overrides))
		} catch (error) {
			thrown = error
		}
		expect(thrown).toBeInstanceOf(TypeError)
		expect((thrown as Error).message).toContain(`'cookieFetchSite'`)
		expect((thrown as Error).cause).toEqual({
			package: '@tenantry/jwt-auth',
			option: 'cookieFetchSite',
		})
	})

	it('takes every documented value, and undefined as the default, with a cookie source', () => {
		for (const cookieFetchSite of ['same-site', 'same-origin', 'any', undefined] as const)
			expect(() => pipeline(options({ cookieFetchSite }))).not.toThrow()
	})
})
