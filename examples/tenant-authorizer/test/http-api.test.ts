import type { LocalStack } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GatewayAnswer, localHttpApi } from './local-http-api.js'
import { audience, startTenantAuthorizer } from './local-tenant-authorizer.js'

/**
 * The README's table of outcomes, as the client sees them through the HTTP API the template
 * declares (./local-http-api.ts): the status API Gateway answers and whether it kept the
 * decision, not only what the authorizer function returns.
 */

let stack: LocalStack
let get: (path: string, token: string | undefined) => Promise<GatewayAnswer>
let tokenFor: Awaited<ReturnType<typeof startTenantAuthorizer>>['tokenFor']

beforeAll(async () => {
	const started = await startTenantAuthorizer()
	;({ stack, tokenFor } = started)
	const gateway = localHttpApi(started.authorize, started.downstream)
	get = (path, token) =>
		gateway({
			method: 'GET',
			path,
			pathParameters: { tenantId: path.split('/')[2] ?? '' },
			headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
		})
})
afterAll(() => stack.stop())

const nowSec = () => Math.floor(Date.now() / 1000)

describe('tenant-authorizer through the HTTP API', () => {
	it("keeps one decision per token for every route: acme's allow never opens globex's data", async () => {
		const acme = await tokenFor('acme')
		expect(await get('/tenants/acme/profile', acme)).toEqual({
			statusCode: 200,
			invokedAuthorizer: true,
		})
		// The cached allow serves the other route, and the downstream function refuses it.
		expect(await get('/tenants/globex/profile', acme)).toEqual({
			statusCode: 403,
			invokedAuthorizer: false,
		})
		expect(await get('/tenants/globex/profile', await tokenFor('globex'))).toMatchObject({
			statusCode: 200,
			invokedAuthorizer: true,
		})
	})

	it('answers 401 without the header, 403 for a refused token', async () => {
		expect(await get('/tenants/acme/profile', undefined)).toEqual({
			statusCode: 401,
			invokedAuthorizer: false,
		})
		const expired = await tokenFor('acme', { exp: nowSec() - 1 })
		expect(await get('/tenants/acme/profile', expired)).toMatchObject({ statusCode: 403 })
	})

	// The README: these stay errors so that API Gateway answers 500 and caches nothing. An error
	// whose message is `Unauthorized` is API Gateway's 401 instead, which tells the client its
	// token is bad: it drops a token that works seconds later.
	it('answers 500, not 401, for a token signed by a key rotated in since the last JWKS fetch', async () => {
		expect(await get('/tenants/acme/profile', await tokenFor('acme'))).toMatchObject({
			statusCode: 200,
		})
		const rotatedIn = await stack.identityProvider.createKey('ES256')
		try {
			const token = await stack.identityProvider.sign(
				{ sub: 'user@acme', aud: audience, tenant_id: 'acme' },
				{ key: rotatedIn },
			)
			expect(await get('/tenants/acme/profile', token)).toEqual({
				statusCode: 500,
				invokedAuthorizer: true,
			})
			// Not cached: the next request asks the authorizer again.
			expect(await get('/tenants/acme/profile', token)).toMatchObject({ invokedAuthorizer: true })
		} finally {
			stack.identityProvider.unpublish(rotatedIn.kid)
		}
	})

	it('answers 500, not 401, for a token issued 2 s ahead of the authorizer clock', async () => {
		const token = await tokenFor('acme', { iat: nowSec() + 2, nbf: nowSec() + 2 })
		expect(await get('/tenants/acme/profile', token)).toEqual({
			statusCode: 500,
			invokedAuthorizer: true,
		})
	})

	// Without nbf, jwtAuth refuses it as jwt_iat_future rather than jwt_not_yet_valid.
	it('answers 500, not 401, for a token whose iat alone is 2 s ahead of the authorizer clock', async () => {
		const token = await tokenFor('acme', { iat: nowSec() + 2 })
		expect(await get('/tenants/acme/profile', token)).toEqual({
			statusCode: 500,
			invokedAuthorizer: true,
		})
	})
})
