import { DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ReplayStore } from '../src/index.js'
import { fakeClock, harness, signedEvent } from './helpers.js'

// A store of your own, to the ReplayStore contract, forgets a claim's record on release: its
// claim succeeded, so the record is its own. The release of a claim that threw (in case it
// landed) is only for a store that deletes by token: for a replay, the record is the first
// delivery's, and a transient failure (throttling, which a flood of replays of one message can
// cause) must not make the next replay run the handler again.

let dynamodb: LocalDynamoDb
let client: DynamoDBClient
const tableName = 'custom-replay'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	client = dynamodb.client({ maxAttempts: 1 })
	await dynamodb.createTable(tableName, { sortKey: null })
})
afterAll(() => dynamodb.stop())
beforeEach(() => dynamodb.faults.clear())

/** A user's own store, to the documented contract (no token: it predates it, or ignores it). */
const userStore: ReplayStore = {
	async claim({ tenantId, id }) {
		try {
			await client.send(
				new PutItemCommand({
					TableName: tableName,
					Item: { pk: { S: `${tenantId}#${id}` } },
					ConditionExpression: 'attribute_not_exists(pk)',
				}),
			)
			return true
		} catch (error) {
			if ((error as Error).name === 'ConditionalCheckFailedException') return false
			throw error
		}
	},
	// "forgets a claim whose request then failed on the server side"
	async release({ tenantId, id }) {
		await client.send(
			new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: `${tenantId}#${id}` } } }),
		)
	},
}

describe('releaseReplayOnServerError with a store of your own', () => {
	it('a replay whose claim fails transiently does not delete the first delivery’s record', async () => {
		const clock = fakeClock()
		const h = harness({
			secrets: async () => 'acme-secret',
			now: clock.now,
			replayStore: userStore,
			releaseReplayOnServerError: true,
		})
		const captured = signedEvent({
			secret: 'acme-secret',
			body: JSON.stringify({ transfer: 100 }),
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		const send = async () => (await h.handler(structuredClone(captured))).statusCode

		expect(await send()).toBe(200) // the delivery, processed
		dynamodb.faults.inject({ type: 'throttle' }, { times: 1 })
		expect(await send()).toBe(503) // a replay meets a throttled PutItem
		expect(await send()).toBe(401) // the next replay must still be refused
		expect(h.seen).toHaveLength(1) // the handler ran once
	})
})
