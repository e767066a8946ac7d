import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { expect, it } from 'vitest'
import { eventsTable, signedDelivery, webhookIngestPerFile } from './local-webhook-ingest.js'

/**
 * The handler parses the delivery and stores `data` written back out (`JSON.stringify`), less the
 * e-mail. JSON.parse rounds integers beyond 2^53 (a 64-bit id sent as a number) and turns 1e400
 * into Infinity, which JSON.stringify writes as `null`: the stored event then holds other numbers
 * than the ones the tenant signed, answered 202 as if stored as sent. tenant-api refuses such
 * numbers for that reason ("storing those would silently change the client's data").
 */

const secret = 'acme-shared-secret'
const local = webhookIngestPerFile({ acme: secret })

const storedData = async (id: string): Promise<string | undefined> => {
	const { Item } = await local.stack.dynamodb.client().send(
		new GetItemCommand({
			TableName: eventsTable,
			Key: { pk: { S: `TENANT#acme#EVENT#${id}` }, sk: { S: 'EVENT' } },
		}),
	)
	return Item?.data?.S
}

it.each([
	['an integer beyond 2^53', 'evt-bigint', '12345678901234567890'],
	['a number JSON.parse turns into Infinity', 'evt-infinity', '1e400'],
])('never stores %s as another number than the one signed', async (_name, id, number) => {
	const body = `{"id":"${id}","type":"invoice.paid","data":{"customerId":${number}}}`
	const response = (await local.handler(
		signedDelivery('acme', secret, body),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2
	const stored = await storedData(id)
	if (response.statusCode === 202) {
		// Accepted: the signed number itself must have been stored.
		expect(stored).toBe(`{"customerId":${number}}`)
	} else {
		// Refused: as the client's error, nothing stored.
		expect(response.statusCode).toBeGreaterThanOrEqual(400)
		expect(response.statusCode).toBeLessThan(500)
		expect(stored).toBeUndefined()
	}
})

it('answers a delivery nested deeper than JSON.stringify can write back with a 4xx, storing nothing', async () => {
	// JSON.parse alone reads 100,000 levels; writing them back out overflows the stack (a 500).
	// The body parser refuses such nesting first: its reviver walks recursively and gives out at
	// about half the depth JSON.stringify does.
	const depth = 100_000
	const body = `{"id":"evt-deep","type":"invoice.paid","data":{"a":${'['.repeat(depth)}1${']'.repeat(depth)}}}`
	const response = (await local.handler(
		signedDelivery('acme', secret, body),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2
	expect(response.statusCode).toBe(422)
	expect(await storedData('evt-deep')).toBeUndefined()
})
