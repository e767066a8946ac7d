import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoReplayStore } from '../src/index.js'
import { fakeClock, harness, signedEvent } from './helpers.js'

// A DynamoDB write can succeed while its answer is lost: the client's request timeout (the
// README's replay client gives up after 1 s), a dropped connection, or a 500 that DynamoDB
// documents as "the request may or may not have succeeded". The conditional PutItem of a claim
// is not idempotent by itself: the SDK's retry (the README's client: maxAttempts 2) would find
// the record its own first attempt wrote, and answer the first delivery as a replay of itself.
// Each claim carries a token, so its own retry passes; without SDK retries, the 503 invites the
// sender's identical retry, which must then be processed.

let dynamodb: LocalDynamoDb
const tableName = 'replay-lost-answer'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())

let counter = 0
let body = ''
beforeEach(() => {
	dynamodb.faults.clear()
	body = JSON.stringify({ transfer: 100, review: ++counter })
})

/**
 * A client of the local DynamoDB whose next `lose` answers are lost after DynamoDB applied the
 * request, as a client timeout or a dropped connection loses them (a transient error the SDK
 * retries).
 */
const lossyClient = (maxAttempts: number, lose: number): DynamoDBClient => {
	const client = dynamodb.client({ maxAttempts })
	let remaining = lose
	client.middlewareStack.add(
		(next) => async (args) => {
			const result = await next(args)
			if (remaining > 0) {
				remaining--
				throw Object.assign(new Error('Request timed out'), {
					name: 'TimeoutError',
					$metadata: {},
				})
			}
			return result
		},
		{ step: 'finalizeRequest', priority: 'low', name: 'loseAnswer' },
	)
	return client
}

const setup = (client: DynamoDBClient) => {
	const clock = fakeClock()
	const h = harness({
		secrets: async () => 'acme-secret',
		now: clock.now,
		replayStore: dynamoReplayStore({ tableName, client }),
	})
	const event = signedEvent({
		secret: 'acme-secret',
		body,
		tenantId: 'acme',
		timestamp: clock.date(),
	})
	return { h, send: async () => (await h.handler(structuredClone(event))).statusCode }
}

describe('a claim whose DynamoDB answer is lost', () => {
	it('with the README client (maxAttempts 2): the first delivery is processed, not refused as its own replay', async () => {
		const { h, send } = setup(lossyClient(2, 1))
		expect(await send()).toBe(200)
		expect(h.seen).toHaveLength(1)
	})

	it('without SDK retries: the 503 invites the identical retry, which is then processed (no option needed: the handler never ran)', async () => {
		const { h, send } = setup(lossyClient(1, 1))
		expect(await send()).toBe(503)
		expect(await send()).toBe(200) // the sender's retry after Retry-After
		expect(h.seen).toHaveLength(1)
		expect(await send()).toBe(401) // a replay after that is refused, as before
	})
})
