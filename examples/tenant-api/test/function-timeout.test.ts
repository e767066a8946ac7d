import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { templateOf } from '../../../scripts/examples.js'
import { audience, type Handler, startTenantApi } from './local-tenant-api.js'

/**
 * The function's Timeout in template.yaml (10 s) against the clients' own limits: the
 * rate-limit store gives up after 2 s, then the tenant's DynamoDB client makes 3 attempts of
 * up to 3 s each (awsClients' defaults). A DynamoDB that does not answer therefore outlasts the
 * function: middy's early timeout (or Lambda itself) ends the invocation, which API Gateway
 * answers 500, where the contract says "dependencies down → 503 with Retry-After".
 */

let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 1000 }))
})
afterAll(() => stack.stop())

const timeoutSec = Number(templateOf('tenant-api').Globals?.Function?.Timeout)

it('answers 503 with Retry-After, not 500, within the template Timeout while DynamoDB does not answer', async () => {
	expect(timeoutSec).toBeGreaterThan(0)
	const token = await stack.identityProvider.sign({
		sub: 'user@acme',
		aud: audience,
		tenant_id: 'acme',
	})
	const get = (context: unknown) =>
		handler(
			httpApiEvent({
				method: 'GET',
				path: '/tenants/acme/items/42',
				pathParameters: { tenantId: 'acme', itemId: '42' },
				headers: { authorization: `Bearer ${token}` },
			}),
			context,
		) as Promise<APIGatewayProxyStructuredResultV2>
	// Warm: keys, STS session and sockets in place, as in a container that served before.
	expect((await get(lambdaContext())).statusCode).toBe(404)

	// Left in place: stopping the stack cuts off the requests it holds, where clearing it would
	// let them reach a database that is closing.
	stack.dynamodb.faults.inject({ type: 'delay', ms: 60_000 })
	// The invocation has the time the template gives the function, as in Lambda.
	const deadline = Date.now() + timeoutSec * 1000
	const response = await get(
		lambdaContext({ getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) }),
	)
	expect(response).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
	// Answered before Lambda would have ended the invocation.
	expect(Date.now()).toBeLessThan(deadline)
}, 30_000)
