import { format } from 'node:util'
import {
	httpApiAuthorizerEvent,
	httpApiEvent,
	type LocalStack,
	lambdaContext,
} from '@tenantry/testing'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import {
	type Authorize,
	type Downstream,
	startTenantAuthorizer,
} from './local-tenant-authorizer.js'

/**
 * The downstream function logs each refusal as one JSON line of its reason (logHttpError). A
 * token the authorizer allowed but without the route's scope is a 403 like a tenant mismatch or
 * a guard refusal; only the line's `code` tells the on-call which one it was.
 */

let stack: LocalStack
let authorize: Authorize
let downstream: Downstream
let tokenFor: Awaited<ReturnType<typeof startTenantAuthorizer>>['tokenFor']

beforeAll(async () => {
	;({ stack, authorize, downstream, tokenFor } = await startTenantAuthorizer())
})
afterAll(() => stack.stop())

it('logs a downstream 403 for a missing scope as one JSON line naming the reason', async () => {
	const token = await tokenFor('acme', { scope: 'profile:write' })
	const decision = await authorize(
		httpApiAuthorizerEvent({ headers: { authorization: `Bearer ${token}` } }),
		lambdaContext(),
	)
	const logged = vi.mocked(console.error)
	logged.mockClear()
	const response = await downstream(
		httpApiEvent({
			method: 'GET',
			path: '/tenants/acme/profile',
			pathParameters: { tenantId: 'acme' },
			authorizer: { lambda: decision.context },
		}),
		lambdaContext(),
	)
	expect(response.statusCode).toBe(403)
	const lines = logged.mock.calls.map((args) => format(...args))
	expect(lines).toHaveLength(1)
	expect(JSON.parse(lines[0] ?? '')).toMatchObject({
		status: 403,
		code: 'insufficient_scope',
		package: '@tenantry/example-tenant-authorizer',
		reason: 'token lacks the profile:read scope',
	})
})
