import {
	BatchGetItemCommand,
	BatchWriteItemCommand,
	GetItemCommand,
	ProvisionedThroughputExceededException,
	ResourceNotFoundException,
	TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type LocalDynamoDb, startDynamoDb } from '../src/index.js'

// The README promises "`faults` by operation or table" and a `not-found` fault answering
// `ResourceNotFoundException`. A fault that is planned but never answered lets a test of a
// middleware's outage path pass without the outage ever happening.
let dynamodb: LocalDynamoDb

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable('items')
})
afterAll(() => dynamodb.stop())
beforeEach(() => {
	dynamodb.faults.clear()
	dynamodb.clearRequests()
})

const key = { pk: { S: 'TENANT#acme#' }, sk: { S: '1' } }

describe('DynamoDB faults targeted at a table', () => {
	it('reach BatchWriteItem on that table (its name is a key of RequestItems)', async () => {
		dynamodb.faults.inject({ type: 'throttle' }, { target: 'items' })
		await expect(
			dynamodb
				.client({ maxAttempts: 1 })
				.send(
					new BatchWriteItemCommand({ RequestItems: { items: [{ PutRequest: { Item: key } }] } }),
				),
		).rejects.toBeInstanceOf(ProvisionedThroughputExceededException)
	})

	it('reach BatchGetItem on that table', async () => {
		dynamodb.faults.inject({ type: 'server-error' }, { target: 'items' })
		await expect(
			dynamodb
				.client({ maxAttempts: 1 })
				.send(new BatchGetItemCommand({ RequestItems: { items: { Keys: [key] } } })),
		).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } })
	})

	it('reach TransactWriteItems on that table (its name is in TransactItems)', async () => {
		dynamodb.faults.inject({ type: 'server-error' }, { target: 'items' })
		await expect(
			dynamodb.client({ maxAttempts: 1 }).send(
				new TransactWriteItemsCommand({
					TransactItems: [{ Put: { TableName: 'items', Item: key } }],
				}),
			),
		).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } })
	})
})

describe('DynamoDB faults of the shared plan', () => {
	it('answers not-found with ResourceNotFoundException instead of a normal answer', async () => {
		dynamodb.faults.inject({ type: 'not-found' }, { target: 'GetItem', times: 1 })
		await expect(
			dynamodb
				.client({ maxAttempts: 1 })
				.send(new GetItemCommand({ TableName: 'items', Key: key })),
		).rejects.toBeInstanceOf(ResourceNotFoundException)
	})

	it('answers oversized with a 200 whose body is that large', async () => {
		dynamodb.faults.inject({ type: 'oversized', bytes: 200_000 }, { target: 'GetItem', times: 1 })
		const output = await dynamodb
			.client({ maxAttempts: 1 })
			.send(new GetItemCommand({ TableName: 'items', Key: key }))
			.catch((error: unknown) => error)
		// Either a huge item or a parse failure of a huge body; never the table's normal answer.
		expect(JSON.stringify(output).length).toBeGreaterThan(100_000)
	})
})
