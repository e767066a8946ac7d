import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { audience, type Handler, startTenantApi } from './local-tenant-api.js'

/**
 * `captureLambdaHandler(tracer)` records the handler's response in the X-Ray segment's metadata
 * by default (Powertools' captureResponse), and tenant-api's responses are the tenant's items:
 * every GET and PUT would copy a tenant's data into X-Ray, readable by anyone who may read the
 * account's traces (no tenant session, no LeadingKeys), kept there for 30 days.
 */

let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 1000 }))
})
afterAll(() => stack.stop())

it("sends no tenant item data to X-Ray (the handler's responses are the tenant's items)", async () => {
	const marker = 'Acme-Confidential-Marker-41b7'
	const token = await stack.identityProvider.sign({
		sub: 'user@acme',
		aud: audience,
		tenant_id: 'acme',
	})
	const send = (method: string, body?: Record<string, unknown>) =>
		handler(
			httpApiEvent({
				method,
				path: '/tenants/acme/items/secret',
				pathParameters: { tenantId: 'acme', itemId: 'secret' },
				headers: { authorization: `Bearer ${token}` },
				...(body === undefined ? {} : { body }),
			}),
			lambdaContext(),
		) as Promise<APIGatewayProxyStructuredResultV2>
	stack.xray.clear()
	expect((await send('PUT', { notes: marker })).statusCode).toBe(201)
	expect((await send('GET')).statusCode).toBe(200)
	// Both invocations' handler segments, each with its DynamoDB call, have reached the daemon.
	const segments = await stack.xray.waitFor(
		(all) =>
			all.filter((segment) => segment.name === '## index.handler').length >= 2 &&
			all.filter((segment) => segment.name === 'DynamoDB').length >= 2,
	)
	expect(JSON.stringify(segments)).not.toContain(marker)
})
