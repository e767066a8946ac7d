import { readFileSync } from 'node:fs'
import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audience, type Handler, startTenantApi } from './local-tenant-api.js'

/**
 * The README: "Invoke with a sample event: `sam local invoke ItemsFunction -e events/get-item.json`
 * after putting a real token into the event's `authorization` header", and the chain table:
 * "`httpJsonBodyParser(...)` … GET/DELETE without a body pass". The sample GET and DELETE
 * events (like many API clients) send `content-type: application/json` without a body, and
 * @middy/http-json-body-parser answers those 422 "Invalid or malformed JSON was provided".
 */

let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 1000 }))
})
afterAll(() => stack.stop())

const token = () =>
	stack.identityProvider.sign({ sub: 'user@acme', aud: audience, tenant_id: 'acme' })

const sampleEvent = async (name: string): Promise<APIGatewayProxyEventV2> => {
	const event = JSON.parse(
		readFileSync(new URL(`../events/${name}.json`, import.meta.url), 'utf8'),
	) as APIGatewayProxyEventV2
	event.headers.authorization = `Bearer ${await token()}`
	return event
}

const invoke = async (event: APIGatewayProxyEventV2) =>
	(await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2

describe('tenant-api sample events (sam local invoke -e events/<name>.json)', () => {
	it('put-item (creating), get-item, delete-item answer 201, 200, 204', async () => {
		expect((await invoke(await sampleEvent('put-item'))).statusCode).toBe(201)
		expect((await invoke(await sampleEvent('get-item'))).statusCode).toBe(200)
		expect((await invoke(await sampleEvent('delete-item'))).statusCode).toBe(204)
	})

	it('get-item-other-tenant answers 403', async () => {
		expect((await invoke(await sampleEvent('get-item-other-tenant'))).statusCode).toBe(403)
	})
})

describe('GET and DELETE from a client that always sends Content-Type: application/json', () => {
	it.each(['GET', 'DELETE'])('%s without a body is not a 422', async (method) => {
		const event = httpApiEvent({
			method,
			path: '/tenants/acme/items/7',
			pathParameters: { tenantId: 'acme', itemId: '7' },
			headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
		})
		const response = await invoke(event)
		expect(response.statusCode).not.toBe(422)
		expect([200, 204, 404]).toContain(response.statusCode)
	})
})
