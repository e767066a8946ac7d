import { format } from 'node:util'
import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { audience, type Handler, startTenantApi } from './local-tenant-api.js'

/**
 * A PUT whose body is not JSON is a 422 from the stock body parser, whose error keeps the whole
 * body (and JSON.parse's message, which quotes it) as its `cause`. @middy/http-error-handler
 * logs that error with console.error: the tenant's data lands in the function's log group,
 * which operators read outside tenant isolation.
 */

let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 1000 }))
})
afterAll(() => stack.stop())

const tenantData = 'acme-private-ledger-7c41'

it('logs a malformed PUT body as a 422 without the body', async () => {
	const logged = vi.mocked(console.error)
	logged.mockClear()
	const token = await stack.identityProvider.sign({
		sub: 'user@acme',
		aud: audience,
		tenant_id: 'acme',
	})
	const response = (await handler(
		httpApiEvent({
			method: 'PUT',
			path: '/tenants/acme/items/42',
			pathParameters: { tenantId: 'acme', itemId: '42' },
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			// One missing quote: an ordinary client bug, with the tenant's data around it.
			body: `{"ledger": "${tenantData}", note: "x"}`,
		}),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2
	// What the client sees is unchanged.
	expect(response.statusCode).toBe(422)
	expect(response.body).toBe('Invalid or malformed JSON was provided')
	expect(logged).toHaveBeenCalledTimes(1)
	// What console.error writes to the log group, as Lambda's runtime formats it.
	const line = format(...(logged.mock.calls[0] ?? []))
	// The operator still learns what failed.
	expect(line).toContain('UnprocessableEntityError')
	expect(line).toContain('@middy/http-json-body-parser')
	expect(line).not.toContain(tenantData)
})
