import { format } from 'node:util'
import {
	httpApiAuthorizerEvent,
	httpApiEvent,
	type LocalStack,
	lambdaContext,
} from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
	type Authorize,
	audience,
	type Decision,
	type Downstream,
	startTenantAuthorizer,
} from './local-tenant-authorizer.js'

let stack: LocalStack
let authorize: Authorize
let downstream: Downstream
let tokenFor: Awaited<ReturnType<typeof startTenantAuthorizer>>['tokenFor']

beforeAll(async () => {
	;({ stack, authorize, downstream, tokenFor } = await startTenantAuthorizer())
})
afterAll(() => stack.stop())

const authorizeRequest = (token: string | undefined, path = '/tenants/acme/profile') =>
	authorize(
		httpApiAuthorizerEvent({
			method: 'GET',
			path,
			headers: token ? { authorization: `Bearer ${token}` } : {},
		}),
		lambdaContext(),
	)

/** What API Gateway sends the downstream function after the authorizer allowed the request. */
const requestAs = (decision: Decision, tenantInPath: string) =>
	downstream(
		httpApiEvent({
			method: 'GET',
			path: `/tenants/${tenantInPath}/profile`,
			pathParameters: { tenantId: tenantInPath },
			authorizer: { lambda: decision.context },
		}),
		lambdaContext(),
	)

describe('tenant-authorizer', () => {
	it('allows a valid token and hands its tenant to the downstream function', async () => {
		const decision = await authorizeRequest(await tokenFor('acme'))
		expect(decision).toEqual({
			isAuthorized: true,
			context: { tenant_id: 'acme', sub: 'user@acme', scope: 'profile:read' },
		})
		const response = await requestAs(decision, 'acme')
		expect(response.statusCode).toBe(200)
		expect(JSON.parse(response.body ?? '')).toEqual({
			tenant: 'acme',
			user: 'user@acme',
			plan: 'gold',
		})
	})

	it('refuses forged, expired, tenant-less and missing tokens with isAuthorized false', async () => {
		// Signed with the attacker's own key under the kid of a published one.
		const kid = stack.identityProvider.jwks().keys.find((key) => key.alg === 'RS256')?.kid
		const forger = await stack.identityProvider.createKey('RS256', { kid, publish: false })
		const tokens = [
			await stack.identityProvider.sign(
				{ sub: 'x', aud: audience, tenant_id: 'acme' },
				{ key: forger },
			),
			await tokenFor('acme', { exp: Math.floor(Date.now() / 1000) - 1 }),
			await tokenFor(undefined),
			undefined,
		]
		for (const token of tokens)
			expect(await authorizeRequest(token)).toEqual({ isAuthorized: false })
	})

	it('denies a token under a kid of its own once a JWKS fetched for it lacks the kid', async () => {
		const forger = await stack.identityProvider.createKey('ES256', { publish: false })
		const token = await stack.identityProvider.sign(
			{ sub: 'x', aud: audience, tenant_id: 'acme' },
			{ key: forger },
		)
		// A container of its own: its clock moves on without the other tests' JWKS caches.
		vi.resetModules()
		const { handler: container } = (await import('../authorizer.js')) as unknown as {
			handler: typeof authorize
		}
		const decide = () =>
			container(
				httpApiAuthorizerEvent({ headers: { authorization: `Bearer ${token}` } }),
				lambdaContext(),
			)
		vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
		try {
			// Cold, or within the cooldown after the cold start's fetch: denied or an error.
			await decide().catch(() => undefined)
			vi.advanceTimersByTime(60_000) // past jwks.cooldownMs: the JWKS is fetched for it
			expect(await decide()).toEqual({ isAuthorized: false })
		} finally {
			vi.useRealTimers()
		}
	})

	it('fails, caching no deny, for a token signed by a key rotated in since the last JWKS fetch', async () => {
		expect((await authorizeRequest(await tokenFor('acme'))).isAuthorized).toBe(true)
		const rotatedIn = await stack.identityProvider.createKey('ES256')
		try {
			const token = await stack.identityProvider.sign(
				{ sub: 'user@acme', aud: audience, tenant_id: 'acme' },
				{ key: rotatedIn },
			)
			await expect(authorizeRequest(token)).rejects.toMatchObject({
				statusCode: 401,
				cause: { code: 'jwt_unknown_kid' },
			})
		} finally {
			stack.identityProvider.unpublish(rotatedIn.kid)
		}
	})

	it('fails its cold start naming a required variable that is not set, rather than later', async () => {
		vi.resetModules()
		const { AUDIENCE: _, ...rest } = process.env
		const saved = process.env
		process.env = rest
		try {
			await expect(import('../authorizer.js')).rejects.toThrow(
				'environment variable AUDIENCE is not set',
			)
		} finally {
			process.env = saved
		}
	})

	it('fails (API Gateway answers 500, caches nothing) when the identity provider is down and no keys are cached', async () => {
		stack.identityProvider.faults.inject({ type: 'down' })
		// A new container: fresh module state, so no keys cached from earlier tests.
		vi.resetModules()
		const { handler: coldAuthorizer } = (await import('../authorizer.js')) as unknown as {
			handler: typeof authorize
		}
		try {
			await expect(
				coldAuthorizer(
					httpApiAuthorizerEvent({
						headers: { authorization: `Bearer ${await tokenFor('acme')}` },
					}),
					lambdaContext(),
				),
			).rejects.toMatchObject({ statusCode: 503 })
		} finally {
			stack.identityProvider.faults.clear()
		}
	})

	it('downstream: another tenant in the path is a 403, no authorizer context a 401', async () => {
		const decision = await authorizeRequest(await tokenFor('globex'), '/tenants/acme/profile')
		expect((await requestAs(decision, 'acme')).statusCode).toBe(403)
		const unauthenticated = await downstream(
			httpApiEvent({ path: '/tenants/acme/profile', pathParameters: { tenantId: 'acme' } }),
			lambdaContext(),
		)
		expect(unauthenticated.statusCode).toBe(401)
	})

	it('downstream: a token without the profile:read scope is a 403 insufficient_scope, before any read', async () => {
		stack.dynamodb.clearRequests()
		for (const scope of [undefined, '', 'profile:write', 'profile:readonly', 'openid profile']) {
			const decision = await authorizeRequest(await tokenFor('acme', { scope }))
			expect(decision.isAuthorized).toBe(true)
			const response = await requestAs(decision, 'acme')
			expect(response.statusCode).toBe(403)
			expect(response.headers?.['WWW-Authenticate']).toBe(
				'Bearer error="insufficient_scope", scope="profile:read"',
			)
		}
		expect(stack.dynamodb.requests).toEqual([])
		const withOthers = await authorizeRequest(
			await tokenFor('acme', { scope: 'openid profile:read email' }),
		)
		expect((await requestAs(withOthers, 'acme')).statusCode).toBe(200)
	})

	it('downstream: reads the scope claim as space-separated names only: profile:read after a comma or a tab is another scope', async () => {
		for (const scope of ['openid,profile:read', 'openid\tprofile:read']) {
			const decision = await authorizeRequest(await tokenFor('acme', { scope }))
			expect((await requestAs(decision, 'acme')).statusCode).toBe(403)
		}
	})

	it('downstream: logs its 403 for a missing scope as one JSON line naming the reason', async () => {
		const decision = await authorizeRequest(await tokenFor('acme', { scope: 'profile:write' }))
		const logged = vi.mocked(console.error)
		logged.mockClear()
		expect((await requestAs(decision, 'acme')).statusCode).toBe(403)
		const lines = logged.mock.calls.map((args) => format(...args))
		expect(lines).toHaveLength(1)
		expect(JSON.parse(lines[0] ?? '')).toMatchObject({
			status: 403,
			code: 'insufficient_scope',
			package: '@tenantry/example-tenant-authorizer',
			reason: 'token lacks the profile:read scope',
		})
	})

	it('downstream: a tenant without a profile gets the default plan, from its own key only', async () => {
		stack.dynamodb.clearRequests()
		const response = await requestAs(
			await authorizeRequest(await tokenFor('initech'), '/tenants/initech/profile'),
			'initech',
		)
		expect(JSON.parse(response.body ?? '')).toMatchObject({ tenant: 'initech', plan: 'free' })
		expect(stack.dynamodb.requests.map((request) => JSON.stringify(request.input.Key))).toEqual([
			JSON.stringify({ pk: { S: 'TENANT#initech#PROFILE#main' }, sk: { S: 'PROFILE' } }),
		])
	})
})
