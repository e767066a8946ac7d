import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
	eventsTable,
	type Handler,
	pseudonymKeySecretId,
	signedDelivery,
	startWebhookIngest,
} from './local-webhook-ingest.js'

const secret = 'acme-shared-secret'
let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startWebhookIngest({ acme: secret }, (stack) =>
		// The cold-start fetch of the app-wide key is held, then refused (not retried by the SDK).
		stack.secretsManager.faults.inject(
			{ type: 'delay', ms: 1_500, answer: { type: 'access-denied' } },
			{ target: pseudonymKeySecretId, times: 1 },
		),
	))
})
afterAll(() => stack.stop())

const deliver = async (body: string, timestamp?: Date) =>
	(await handler(
		signedDelivery('acme', secret, body, timestamp ? { timestamp } : {}),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2

it('answers 503 with Retry-After, never 500, while the app-wide key cannot be fetched, and fetches it again for the next delivery', async () => {
	const body = JSON.stringify({ id: 'evt-key', type: 'invoice.paid', data: { email: 'a@b.c' } })
	// This delivery reaches the key while its cold-start fetch is still held, and sees it refused.
	const refused = await deliver(body)
	expect(refused).toMatchObject({
		statusCode: 503,
		body: 'Service Unavailable',
		headers: { 'Retry-After': '5' },
	})
	const stored = () =>
		stack.dynamodb.client().send(
			new GetItemCommand({
				TableName: eventsTable,
				Key: { pk: { S: 'TENANT#acme#EVENT#evt-key' }, sk: { S: 'EVENT' } },
			}),
		)
	expect((await stored()).Item).toBeUndefined()
	// The sender's retry, signed anew, is stored: the key is fetched again, once.
	const retried = await deliver(body, new Date(Date.now() + 1_000))
	expect(retried.statusCode).toBe(202)
	expect((await stored()).Item?.sender?.S).toMatch(/^[0-9a-f]{64}$/)
	expect(stack.secretsManager.calls(pseudonymKeySecretId)).toBe(2)
	expect((await deliver(body.replace('evt-key', 'evt-key-2'))).statusCode).toBe(202)
	expect(stack.secretsManager.calls(pseudonymKeySecretId)).toBe(2)
})
