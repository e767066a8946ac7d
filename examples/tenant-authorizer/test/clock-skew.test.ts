import {
	httpApiAuthorizerEvent,
	type LocalIdentityProvider,
	lambdaContext,
	startIdentityProvider,
} from '@tenantry/testing'
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

type Decision = { isAuthorized: boolean; context?: Record<string, unknown> }
const audience = 'tenant-api'
let idp: LocalIdentityProvider
let authorize: (event: APIGatewayRequestAuthorizerEventV2, context: unknown) => Promise<Decision>

beforeAll(async () => {
	vi.spyOn(console, 'error').mockImplementation(() => undefined)
	idp = await startIdentityProvider()
	Object.assign(process.env, { ISSUER: idp.issuer, AUDIENCE: audience })
	vi.resetModules()
	;({ handler: authorize } = (await import('../authorizer.js')) as unknown as {
		handler: typeof authorize
	})
})
afterAll(() => idp.stop())

/** What API Gateway would cache for ReauthorizeEvery (300 s): a decision; an error caches nothing. */
const decisionFor = async (token: string): Promise<Decision | 'error'> => {
	try {
		return await authorize(
			httpApiAuthorizerEvent({
				method: 'GET',
				path: '/tenants/acme/profile',
				headers: { authorization: `Bearer ${token}` },
			}),
			lambdaContext(),
		)
	} catch {
		return 'error'
	}
}

describe('tenant-authorizer: a token that becomes valid within the authorizer TTL', () => {
	// A token minted by an identity provider whose clock is 2 s ahead (iat, or nbf = iat as many
	// providers set it) is refused for now, but is good 2 s later: a deny would be cached for the
	// whole ReauthorizeEvery (300 s), so the refusal stays an error, which API Gateway never caches.
	const nowSec = () => Math.floor(Date.now() / 1000)
	const skewed = [
		{ name: 'iat 2 s ahead (issuer clock ahead)', claims: () => ({ iat: nowSec() + 2 }) },
		{
			name: 'nbf = iat, 2 s ahead',
			claims: () => ({ iat: nowSec() + 2, nbf: nowSec() + 2 }),
		},
	]
	it.each(skewed)('does not return a cacheable deny for a token with $name', async ({ claims }) => {
		// The clock stands still (only Date: the JWKS fetch still runs), so the token is 2 s ahead
		// when it is checked, however long signing and the first JWKS fetch take on a busy machine.
		vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
		try {
			const token = await idp.sign({
				sub: 'user@acme',
				aud: audience,
				tenant_id: 'acme',
				...claims(),
			})
			const decision = await decisionFor(token)
			expect(decision).toBe('error')
		} finally {
			vi.useRealTimers()
		}
	})
})
