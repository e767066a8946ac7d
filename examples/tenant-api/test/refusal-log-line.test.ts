import { format } from 'node:util'
import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { audience, type Handler, startTenantApi } from './local-tenant-api.js'

/**
 * What CloudWatch gets for a refused request is all the on-call has. @middy/http-error-handler's
 * default logger prints each 401 as the error inspected, two stacks deep: some forty lines per
 * refusal in a flood, and not JSON, so Logs Insights cannot filter on the reason. One JSON line
 * per refusal names it (`code`, the tenant when known) and never the token.
 */

let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 1 }))
})
afterAll(() => stack.stop())

const get = async (tenant: string, token: string) =>
	(await handler(
		httpApiEvent({
			method: 'GET',
			path: `/tenants/${tenant}/items/1`,
			pathParameters: { tenantId: tenant, itemId: '1' },
			headers: { authorization: `Bearer ${token}` },
		}),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2

/** The lines console.error wrote while `run` ran, as Lambda's runtime would write them. */
const linesOf = async (run: () => Promise<unknown>): Promise<string[]> => {
	const logged = vi.mocked(console.error)
	logged.mockClear()
	await run()
	return logged.mock.calls.map((args) => format(...args))
}

it.each([
	['an expired token', { exp: Math.floor(Date.now() / 1000) - 60 }, 'jwt_expired'],
	['another audience', { aud: 'billing' }, 'jwt_audience_mismatch'],
])(
	'logs a 401 for %s as one JSON line naming the reason, not the token',
	async (_name, claims, code) => {
		const token = await stack.identityProvider.sign({
			sub: 'user@acme',
			aud: audience,
			tenant_id: 'acme',
			...claims,
		})
		const lines = await linesOf(async () => expect((await get('acme', token)).statusCode).toBe(401))
		expect(lines).toHaveLength(1)
		expect(lines[0]).not.toContain('\n')
		expect(JSON.parse(lines[0] ?? '')).toMatchObject({
			status: 401,
			code,
			package: '@tenantry/jwt-auth',
		})
		for (const part of token.split('.')) expect(lines[0]).not.toContain(part)
	},
)

it('logs a 429 as one JSON line naming the tenant', async () => {
	const token = await stack.identityProvider.sign({
		sub: 'user@initech',
		aud: audience,
		tenant_id: 'initech',
	})
	expect((await get('initech', token)).statusCode).toBe(404)
	const lines = await linesOf(async () =>
		expect((await get('initech', token)).statusCode).toBe(429),
	)
	expect(lines).toHaveLength(1)
	expect(JSON.parse(lines[0] ?? '')).toMatchObject({
		status: 429,
		code: 'rate_limited',
		tenantId: 'initech',
	})
})
