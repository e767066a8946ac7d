import { signRequest } from '@tenantry/hmac-auth'
import { httpApiEvent, type LocalStack, lambdaContext, startLocalStack } from '@tenantry/testing'
import type {
	APIGatewayProxyEventV2,
	APIGatewayProxyResultV2,
	APIGatewayProxyStructuredResultV2,
} from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

/**
 * Review finding for the webhook-ingest example: hmacAuth accepts bodies up to 1 MiB
 * (`maxBodyBytes` default), the handler stores `data` as one string attribute, and DynamoDB
 * items stop at 400 KB. A correctly signed delivery in between is answered 500, which
 * webhook senders treat as "retry", so it comes back again and again. Fails on the current code.
 */

const eventsTable = 'webhook-events'
const secret = 'acme-shared-secret'
let stack: LocalStack
let handler: (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyResultV2>

beforeAll(async () => {
	vi.spyOn(console, 'error').mockImplementation(() => undefined)
	stack = await startLocalStack()
	await stack.dynamodb.createTable(eventsTable)
	await stack.dynamodb.createTable('webhook-replay', { ttlAttribute: 'expiresAt' })
	stack.secretsManager.putSecret('tenants/acme', { shared_secret: secret })
	stack.secretsManager.putSecret('webhook-ingest/pseudonym-key', 'app-wide-pseudonym-key')
	stack.applyEnv()
	Object.assign(process.env, {
		SECRET_PREFIX: 'tenants',
		DYNAMODB_TABLE_NAME: eventsTable,
		REPLAY_TABLE_NAME: 'webhook-replay',
		PSEUDONYM_KEY_SECRET_ID: 'webhook-ingest/pseudonym-key',
	})
	;({ handler } = (await import('../handler.js')) as unknown as { handler: typeof handler })
})
afterAll(() => stack.stop())

const deliver = async (body: string): Promise<APIGatewayProxyStructuredResultV2> => {
	const headers = signRequest({ secret, body, tenantId: 'acme' })
	const event = httpApiEvent({
		method: 'POST',
		path: '/webhooks',
		headers: { ...headers, 'x-tenant-id': 'acme', 'content-type': 'application/json' },
		body,
	})
	return (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2
}

describe('review: webhook-ingest', () => {
	it('a signed 500 KB delivery (under maxBodyBytes, over the DynamoDB item limit) is a 413, not a 500', async () => {
		const body = JSON.stringify({
			id: 'evt-large',
			type: 'invoice.paid',
			data: { lines: 'x'.repeat(500_000) },
		})
		expect(Buffer.byteLength(body)).toBeLessThan(1_048_576)
		const response = await deliver(body)
		expect(response.statusCode).toBe(413)
	})
})
