import {
	ConditionalCheckFailedException,
	DescribeTableCommand,
	DynamoDBClient,
	GetItemCommand,
	ProvisionedThroughputExceededException,
	PutItemCommand,
	QueryCommand,
} from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type LocalDynamoDb, localCredentials, startDynamoDb } from '../src/index.js'

let dynamodb: LocalDynamoDb

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable('items', { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())
beforeEach(() => {
	dynamodb.faults.clear()
	dynamodb.clearRequests()
})

describe('local DynamoDB (dynalite) through the real DynamoDBClient', () => {
	it('creates an active table with string pk/sk and records its TTL attribute', async () => {
		const { Table } = await dynamodb.client().send(new DescribeTableCommand({ TableName: 'items' }))
		expect(Table?.TableStatus).toBe('ACTIVE')
		expect(Table?.KeySchema).toEqual([
			{ AttributeName: 'pk', KeyType: 'HASH' },
			{ AttributeName: 'sk', KeyType: 'RANGE' },
		])
		expect(dynamodb.timeToLive('items')).toBe('expiresAt')
	})

	it('writes, reads and queries items', async () => {
		const client = dynamodb.client()
		await client.send(
			new PutItemCommand({
				TableName: 'items',
				Item: { pk: { S: 'TENANT#a#' }, sk: { S: '1' }, v: { N: '1' } },
			}),
		)
		const { Item } = await client.send(
			new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'TENANT#a#' }, sk: { S: '1' } } }),
		)
		expect(Item?.v).toEqual({ N: '1' })
		const { Count } = await client.send(
			new QueryCommand({
				TableName: 'items',
				KeyConditionExpression: 'pk = :pk',
				ExpressionAttributeValues: { ':pk': { S: 'TENANT#a#' } },
			}),
		)
		expect(Count).toBe(1)
	})

	it('enforces conditional writes', async () => {
		const client = DynamoDBDocumentClient.from(dynamodb.client())
		const put = () =>
			client.send(
				new PutCommand({
					TableName: 'items',
					Item: { pk: 'replay#sig', sk: 'x', expiresAt: 100 },
					ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
					ExpressionAttributeValues: { ':now': 50 },
				}),
			)
		await put()
		await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException)
		const { Item } = await client.send(
			new GetCommand({ TableName: 'items', Key: { pk: 'replay#sig', sk: 'x' } }),
		)
		expect(Item?.expiresAt).toBe(100)
	})

	it('records each request with its operation, input and signing access key', async () => {
		await dynamodb
			.client()
			.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'p' }, sk: { S: 's' } } }))
		expect(dynamodb.requests).toEqual([
			{
				operation: 'GetItem',
				accessKeyId: localCredentials.accessKeyId,
				input: expect.objectContaining({ TableName: 'items' }),
			},
		])
	})

	it('injects throttling that the SDK retries, then gives up on', async () => {
		dynamodb.faults.inject({ type: 'throttle' }, { times: 1, target: 'GetItem' })
		const key = { pk: { S: 'p' }, sk: { S: 's' } }
		await dynamodb
			.client({ maxAttempts: 2 })
			.send(new GetItemCommand({ TableName: 'items', Key: key }))
		expect(dynamodb.requests.filter((r) => r.operation === 'GetItem')).toHaveLength(2)

		dynamodb.faults.inject({ type: 'throttle' }, { target: 'items' })
		await expect(
			dynamodb
				.client({ maxAttempts: 1 })
				.send(new GetItemCommand({ TableName: 'items', Key: key })),
		).rejects.toBeInstanceOf(ProvisionedThroughputExceededException)
	})

	it('injects 5xx, dropped connections, slowness and malformed answers', async () => {
		const client = dynamodb.client({
			maxAttempts: 1,
			requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
		})
		const get = () =>
			client.send(
				new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'p' }, sk: { S: 's' } } }),
			)
		dynamodb.faults.inject({ type: 'server-error' }, { times: 1 })
		await expect(get()).rejects.toMatchObject({
			name: 'InternalServerError',
			$metadata: { httpStatusCode: 500 },
		})
		dynamodb.faults.inject({ type: 'down' }, { times: 1 })
		await expect(get()).rejects.toThrow()
		dynamodb.faults.inject({ type: 'delay', ms: 1_000 }, { times: 1 })
		await expect(get()).rejects.toMatchObject({ name: 'TimeoutError' })
		dynamodb.faults.inject({ type: 'malformed' }, { times: 1 })
		await expect(get()).rejects.toThrow()
		await expect(get()).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } })
	})
})

describe('stopping', () => {
	it('cuts off a delayed request of a client it did not make, rather than wait for it', async () => {
		const own = await startDynamoDb()
		await own.createTable('items')
		own.faults.inject({ type: 'delay', ms: 60_000 })
		const client = new DynamoDBClient({
			region: 'us-east-1',
			endpoint: own.endpoint,
			credentials: localCredentials,
			maxAttempts: 1,
		})
		const pending = client
			.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }))
			.catch((error: unknown) => error)
		await new Promise((resolve) => setTimeout(resolve, 200))
		await own.stop()
		expect(await pending).toBeInstanceOf(Error)
		client.destroy()
	})
})
