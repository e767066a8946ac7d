import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audience, type Handler, startTenantApi } from './local-tenant-api.js'

/**
 * Review findings for the tenant-api example: JSON bodies any authenticated caller can send
 * whose PUT ended in a 500 (the error escaped the handler as a plain Error or an SDK
 * ValidationException) instead of a 4xx. Each test failed on the reviewed code and now guards
 * the fix.
 */

let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 1000 }))
})
afterAll(() => stack.stop())

const putItem = async (body: string): Promise<APIGatewayProxyStructuredResultV2> => {
	const token = await stack.identityProvider.sign({
		sub: 'user@acme',
		aud: audience,
		tenant_id: 'acme',
	})
	const event = httpApiEvent({
		method: 'PUT',
		path: '/tenants/acme/items/42',
		pathParameters: { tenantId: 'acme', itemId: '42' },
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
		body,
	})
	return (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2
}

describe('review: tenant-api PUT bodies that end in a 500', () => {
	it.each([
		// lib-dynamodb refuses numbers it cannot store exactly: "greater than Number.MAX_SAFE_INTEGER".
		['an integer above 2^53', '{"count": 12345678901234567890}'],
		// JSON.parse gives Infinity: "Special numeric value Infinity is not allowed".
		['a number JSON.parse turns into Infinity', '{"ratio": 1e400}'],
	])('%s is a 4xx, not a 500', async (_name, body) => {
		const response = await putItem(body)
		expect(response.statusCode).toBeGreaterThanOrEqual(400)
		expect(response.statusCode).toBeLessThan(500)
	})

	it('an item over the 400 KB DynamoDB limit (HTTP API accepts 10 MB) is a 413, not a 500', async () => {
		const response = await putItem(JSON.stringify({ notes: 'x'.repeat(450_000) }))
		expect(response.statusCode).toBe(413)
	})
})

describe('the item size limit', () => {
	it('stores an item whose JSON text is exactly 350,000 bytes, and refuses one byte more (413)', async () => {
		// `{"notes":"…"}` is 12 bytes around the notes.
		expect((await putItem(JSON.stringify({ notes: 'x'.repeat(349_988) }))).statusCode).toBe(201)
		expect((await putItem(JSON.stringify({ notes: 'x'.repeat(349_989) }))).statusCode).toBe(413)
	})

	it('counts the limit in UTF-8 bytes: 120,000 three-byte characters are a 413', async () => {
		expect((await putItem(JSON.stringify({ notes: '€'.repeat(120_000) }))).statusCode).toBe(413)
	})
})

describe('deeply nested bodies', () => {
	it('checks a body nested 100,000 deep without overflowing the stack', async () => {
		const deep = `{"a":${'['.repeat(100_000)}1${']'.repeat(100_000)}}`
		const response = await putItem(deep)
		expect(response.statusCode).toBeLessThan(500)
	})
})
