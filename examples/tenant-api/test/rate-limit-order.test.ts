import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { audience, type Handler, startTenantApi } from './local-tenant-api.js'

/**
 * httpJsonBodyParser runs before tenantRateLimit, so a PUT whose body does not parse is
 * answered 422 by the parser and never counted: a tenant past its quota still gets every such
 * request through to JSON.parse (HTTP API passes bodies up to 10 MB), without limit. The
 * rate-limit README: "Put it before expensive middlewares (body parsing of large payloads,
 * tenant-scoped clients) so rejected requests cost little."
 */

const limit = 3
let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: limit }))
})
afterAll(() => stack.stop())

const put = async (token: string, body: string) =>
	(await handler(
		httpApiEvent({
			method: 'PUT',
			path: '/tenants/acme/items/42',
			pathParameters: { tenantId: 'acme', itemId: '42' },
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body,
		}),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2

it('counts a PUT whose body does not parse against the tenant quota, and refuses it past the quota (429)', async () => {
	// The clock stands still (only Date: sockets and timers run), so no end of the day-long
	// window can fall between the requests that spend the quota and those refused past it.
	vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
	try {
		const token = await stack.identityProvider.sign({
			sub: 'user@acme',
			aud: audience,
			tenant_id: 'acme',
		})
		// A large body broken at its last byte: the parser reads all of it before failing.
		const broken = `{"notes":"${'x'.repeat(1_000_000)}"`
		const statuses: (number | undefined)[] = []
		for (let i = 0; i < limit + 3; i++) statuses.push((await put(token, broken)).statusCode)
		expect(statuses.slice(limit)).toEqual([429, 429, 429])
		// The quota is spent: even a well-formed PUT is refused now.
		expect((await put(token, '{"a":1}')).statusCode).toBe(429)
	} finally {
		vi.useRealTimers()
	}
})
