import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { templateOf } from '../../../scripts/examples.js'
import { type Downstream, startTenantAuthorizer } from './local-tenant-authorizer.js'

/**
 * The downstream function's Timeout in template.yaml against its DynamoDB client's limits: a
 * DynamoDB that does not answer must be a 503 with Retry-After before Lambda ends the
 * invocation (which API Gateway would answer 500), with room for a cold start besides.
 */

let stack: LocalStack
let downstream: Downstream

beforeAll(async () => {
	;({ stack, downstream } = await startTenantAuthorizer())
})
afterAll(() => stack.stop())

const timeoutSec = Number(templateOf('tenant-authorizer').Globals?.Function?.Timeout)

it('answers 503 with Retry-After within half the template Timeout while DynamoDB does not answer', async () => {
	expect(timeoutSec).toBeGreaterThan(0)
	const get = (context: unknown) =>
		downstream(
			httpApiEvent({
				method: 'GET',
				path: '/tenants/acme/profile',
				pathParameters: { tenantId: 'acme' },
				authorizer: { lambda: { tenant_id: 'acme', sub: 'user@acme', scope: 'profile:read' } },
			}),
			context,
		)
	// Warm: sockets in place, as in a container that served before.
	expect((await get(lambdaContext())).statusCode).toBe(200)

	// Left in place: stopping the stack cuts off the requests it holds.
	stack.dynamodb.faults.inject({ type: 'delay', ms: 60_000 })
	const started = Date.now()
	const deadline = started + timeoutSec * 1000
	const response = await get(
		lambdaContext({ getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) }),
	)
	expect(response).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
	expect(Date.now() - started).toBeLessThan((timeoutSec * 1000) / 2)
}, 30_000)
