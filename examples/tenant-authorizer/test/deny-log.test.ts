import { httpApiAuthorizerEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { type Authorize, startTenantAuthorizer } from './local-tenant-authorizer.js'

/**
 * A deny is all API Gateway keeps of a refusal (the client gets a bare 403), so the reason must
 * reach the authorizer's log: a stack deployed with the wrong Audience otherwise refuses every
 * request without a word. The line names the reason and the request, never the token.
 */

let stack: LocalStack
let authorize: Authorize
let tokenFor: Awaited<ReturnType<typeof startTenantAuthorizer>>['tokenFor']

beforeAll(async () => {
	;({ stack, authorize, tokenFor } = await startTenantAuthorizer())
})
afterAll(() => stack.stop())

it('logs why it denied a token, without the token', async () => {
	const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
	try {
		const token = await tokenFor('acme', { aud: 'another-api' })
		const decision = await authorize(
			httpApiAuthorizerEvent({
				headers: { authorization: `Bearer ${token}` },
				requestId: 'req-wrong-audience',
			}),
			lambdaContext(),
		)
		expect(decision).toEqual({ isAuthorized: false })
		const lines = warn.mock.calls.map((args) => args.map(String).join(' '))
		expect(lines).toHaveLength(1)
		expect(JSON.parse(lines[0] ?? '')).toMatchObject({
			code: 'jwt_audience_mismatch',
			requestId: 'req-wrong-audience',
		})
		for (const part of token.split('.')) expect(lines[0]).not.toContain(part)
	} finally {
		warn.mockRestore()
	}
})
