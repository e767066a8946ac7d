import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { expect, it } from 'vitest'
import {
	eventsTable,
	pseudonymKeySecretId,
	signedDelivery,
	webhookIngestPerFile,
} from './local-webhook-ingest.js'

const secret = 'acme-shared-secret'
const local = webhookIngestPerFile({ acme: secret }, (stack) =>
	// Secrets Manager answers nothing for the app-wide key: the first delivery's fetch gives up
	// after its three attempts of a second each.
	stack.secretsManager.faults.inject(
		{ type: 'delay', ms: 60_000 },
		{ target: pseudonymKeySecretId },
	),
)

const deliver = async (body: string, timestamp?: Date) =>
	(await local.handler(
		signedDelivery('acme', secret, body, timestamp ? { timestamp } : {}),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2

const stored = (id: string) =>
	local.stack.dynamodb.client().send(
		new GetItemCommand({
			TableName: eventsTable,
			Key: { pk: { S: `TENANT#acme#EVENT#${id}` }, sk: { S: 'EVENT' } },
		}),
	)

const unavailable = {
	statusCode: 503,
	body: 'Service Unavailable',
	headers: { 'Retry-After': '5' },
}

it('answers 503 with Retry-After, never 500, while Secrets Manager withholds or refuses the app-wide key, and fetches it again for the next delivery', async () => {
	const body = JSON.stringify({ id: 'evt-key', type: 'invoice.paid', data: { email: 'a@b.c' } })
	// This delivery fetches the key, and the fetch times out.
	const started = performance.now()
	expect(await deliver(body)).toMatchObject(unavailable)
	expect(performance.now() - started).toBeLessThan(10_000)
	expect((await stored('evt-key')).Item).toBeUndefined()

	// The sender's retry, signed anew, fetches the key again, and Secrets Manager refuses it.
	local.stack.secretsManager.faults.clear()
	local.stack.secretsManager.faults.inject(
		{ type: 'access-denied' },
		{ target: pseudonymKeySecretId },
	)
	expect(await deliver(body, new Date(Date.now() + 1_000))).toMatchObject(unavailable)
	expect((await stored('evt-key')).Item).toBeUndefined()
	local.stack.secretsManager.faults.clear()

	// The next retry is stored: the key is fetched again, and kept.
	local.stack.secretsManager.resetCalls()
	expect((await deliver(body, new Date(Date.now() + 2_000))).statusCode).toBe(202)
	expect((await stored('evt-key')).Item?.sender?.S).toMatch(/^[0-9a-f]{64}$/)
	expect(local.stack.secretsManager.calls(pseudonymKeySecretId)).toBe(1)
	expect((await deliver(body.replace('evt-key', 'evt-key-2'))).statusCode).toBe(202)
	expect(local.stack.secretsManager.calls(pseudonymKeySecretId)).toBe(1)
})
