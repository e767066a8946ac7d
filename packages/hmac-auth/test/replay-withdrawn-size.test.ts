import { ScanCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { type LocalDynamoDb, lambdaContext, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dynamoReplayStore, hmacAuth } from '../src/index.js'
import { fakeClock, signedEvent } from './helpers.js'

// With releaseReplayOnServerError, every replay of a request whose handler answers 5xx (its
// database is down) claims the record and is then released, adding the claim's token to
// `withdrawnTokens`. Left to grow, whoever captured the request could fill the item up to
// DynamoDB's 400 KB, after which every claim of that message would fail (a 503 until TTL deleted
// it). The set stops at 100 tokens: the message then falls back to at most once.

let dynamodb: LocalDynamoDb
const tableName = 'replay-withdrawn-size'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())

describe('withdrawnTokens under replays of a request that fails with a 5xx', () => {
	it('stop at 100 tokens: later failures are not released, and the message is then at most once', async () => {
		const client = dynamodb.client({ maxAttempts: 2 })
		const clock = fakeClock()
		let databaseDown = true
		let runs = 0
		const handler = middy(async () => {
			runs++
			if (databaseDown) throw new Error('the database is down')
			return { statusCode: 200, body: 'stored' }
		})
			.use(httpErrorHandler({ logger: false }))
			.use(
				hmacAuth({
					secrets: async () => 'acme-secret',
					now: clock.now,
					replayStore: dynamoReplayStore({ tableName, client }),
					releaseReplayOnServerError: true,
				}),
			)
		const event = signedEvent({
			secret: 'acme-secret',
			body: JSON.stringify({ transfer: 100 }),
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		const send = async () =>
			((await handler(structuredClone(event), lambdaContext())) as { statusCode: number })
				.statusCode
		const record = async () => {
			const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName }))
			expect(Items).toHaveLength(1)
			return Items[0] as Record<string, { S?: string; SS?: string[] }>
		}

		expect(await send()).toBe(500) // the delivery: the database is down, released
		// The attacker replays the captured request: each replay runs (documented) and is released,
		// until the set is full.
		for (let i = 0; i < 99; i++) expect(await send()).toBe(500)
		expect((await record()).withdrawnTokens?.SS).toHaveLength(100)
		expect(await send()).toBe(500) // runs, but is no longer released
		expect(await send()).toBe(401)
		expect(runs).toBe(101)
		expect((await record()).withdrawnTokens?.SS).toHaveLength(100)

		databaseDown = false
		clock.advance(5_000) // Retry-After: the sender's retry, the database is back
		expect(await send()).toBe(401) // at most once from here on, never a 503
		expect(runs).toBe(101)
	})
})
