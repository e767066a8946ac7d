import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dynamoRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * A DynamoDB that takes the request and never answers (a VPC without a route to DynamoDB, a
 * network partition): the SDK's defaults would wait minutes, holding every request until the
 * function times out, so neither 'allow' nor 'deny' would ever apply. The store's deadline makes
 * it a store error; without it, these tests would hang until vitest gives up on them.
 */

let dynamodb: LocalDynamoDb
beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable('rate-limits', { ttlAttribute: 'expiresAt' })
	dynamodb.faults.inject({ type: 'delay', ms: 600_000 })
})
// Stopping cuts off the requests dynalite is still holding.
afterAll(() => dynamodb.stop())

const limiter = (onStoreError: 'allow' | 'deny') =>
	pipeline(
		tenantRateLimit({
			// A DynamoDBClient with the SDK's defaults, as in the README (here pointed at dynalite).
			store: dynamoRateLimitStore({
				tableName: 'rate-limits',
				client: dynamodb.client(),
				timeoutMs: 200,
			}),
			onStoreError,
			logger: () => undefined,
		}),
	)

describe('a DynamoDB that does not answer', () => {
	it("lets the request through once the store's deadline passes ('allow')", async () => {
		const { invoke, calls } = limiter('allow')
		expect((await invoke('acme')).statusCode).toBe(200)
		expect(calls.handler).toBe(1)
	})

	it("answers 503 with Retry-After once the store's deadline passes ('deny')", async () => {
		const { invoke, calls } = limiter('deny')
		const response = await invoke('acme')
		expect(response.statusCode).toBe(503)
		expect(response.headers['Retry-After']).toEqual(expect.any(String))
		expect(calls.handler).toBe(0)
	})
})
