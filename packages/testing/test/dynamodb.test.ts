import { request } from 'node:http'
import {
	ConditionalCheckFailedException,
	DescribeTableCommand,
	DynamoDBClient,
	GetItemCommand,
	ProvisionedThroughputExceededException,
	PutItemCommand,
	QueryCommand,
	UpdateTimeToLiveCommand,
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

describe('tables, TTL and faults beyond the common path', () => {
	it('creates a table without a sort key when sortKey is null', async () => {
		await dynamodb.createTable('by-pk', { partitionKey: 'id', sortKey: null })
		const { Table } = await dynamodb.client().send(new DescribeTableCommand({ TableName: 'by-pk' }))
		expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }])
		expect(Table?.AttributeDefinitions).toEqual([{ AttributeName: 'id', AttributeType: 'S' }])
		expect(dynamodb.timeToLive('by-pk')).toBeUndefined()
	})

	it('forgets the TTL attribute when UpdateTimeToLive disables it, echoing the specification', async () => {
		await dynamodb.createTable('expiring', { ttlAttribute: 'expiresAt' })
		const TimeToLiveSpecification = { AttributeName: 'expiresAt', Enabled: false }
		await expect(
			dynamodb
				.client()
				.send(new UpdateTimeToLiveCommand({ TableName: 'expiring', TimeToLiveSpecification })),
		).resolves.toMatchObject({ TimeToLiveSpecification, $metadata: { httpStatusCode: 200 } })
		expect(dynamodb.timeToLive('expiring')).toBeUndefined()
	})

	it('injects access denied as DynamoDB answers it (a 400 AccessDeniedException)', async () => {
		dynamodb.faults.inject({ type: 'access-denied' }, { times: 1, target: 'GetItem' })
		await expect(
			dynamodb
				.client({ maxAttempts: 1 })
				.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'p' }, sk: { S: 's' } } })),
		).rejects.toMatchObject({
			name: 'AccessDeniedException',
			$fault: 'client',
			$metadata: { httpStatusCode: 400 },
		})
	})

	it('answers a delayed fault once the delay ends', async () => {
		dynamodb.faults.inject(
			{ type: 'delay', ms: 5, answer: { type: 'not-found' } },
			{ times: 1, target: 'GetItem' },
		)
		await expect(
			dynamodb
				.client({ maxAttempts: 1 })
				.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'p' }, sk: { S: 's' } } })),
		).rejects.toMatchObject({ name: 'ResourceNotFoundException' })
	})

	it('injects an oversized item of 1 MiB unless told the size', async () => {
		dynamodb.faults.inject({ type: 'oversized' }, { times: 1, target: 'GetItem' })
		const { Item } = await dynamodb
			.client({ maxAttempts: 1 })
			.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'p' }, sk: { S: 's' } } }))
		expect(Item?.padding?.S).toHaveLength(1_048_576)
	})

	it('records a request without X-Amz-Target or body, which dynalite refuses', async () => {
		const response = await fetch(dynamodb.endpoint, { method: 'POST' })
		expect(response.status).toBe(400)
		expect(dynamodb.requests).toEqual([{ operation: '', accessKeyId: undefined, input: {} }])
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

	it('cuts off requests arriving while it waits for one in flight, and a delay that request meets', async () => {
		const own = await startDynamoDb()
		own.faults.inject({ type: 'delay', ms: 60_000 }, { target: 'GetItem' })
		const port = Number(new URL(own.endpoint).port)
		const body = JSON.stringify({ TableName: 'items', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })
		const post = (headers: Record<string, string> = {}) =>
			request({
				host: '127.0.0.1',
				port,
				method: 'POST',
				headers: {
					'Content-Type': 'application/x-amz-json-1.0',
					'X-Amz-Target': 'DynamoDB_20120810.GetItem',
					'Content-Length': Buffer.byteLength(body),
					...headers,
				},
			})
		const answered = (req: ReturnType<typeof post>) =>
			new Promise((resolve) => {
				req.on('response', (response) => resolve(response.statusCode))
				req.on('error', (error) => resolve(error))
			})
		// The server has this request once it asks for the body (100 Continue): stop() waits for it.
		const inFlight = post({ Expect: '100-continue' })
		const inFlightAnswer = answered(inFlight)
		await new Promise((resolve) => inFlight.on('continue', resolve))
		const stopped = own.stop()
		const late = post()
		const lateAnswer = answered(late)
		late.end(body)
		expect(await lateAnswer).toBeInstanceOf(Error)
		inFlight.end(body)
		expect(await inFlightAnswer).toBeInstanceOf(Error)
		await stopped
		expect(own.requests).toEqual([expect.objectContaining({ operation: 'GetItem' })])
	})
})
