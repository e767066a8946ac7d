import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoReplayStore } from '../src/index.js'
import { fakeClock, harness, signedEvent } from './helpers.js'

// A request timeout is the client giving up, not DynamoDB: the PutItem it sent was received and
// may still be applied ("the request may or may not have succeeded"), after the store withdrew
// the claim. The withdrawn record must refuse that late write, so that the identical retry the
// 503 invites, whose handler never ran, is processed rather than refused as a replay.

let dynamodb: LocalDynamoDb
const tableName = 'replay-late-write'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())

let counter = 0
let body = ''
beforeEach(() => {
	body = JSON.stringify({ transfer: 100, late: ++counter })
})

/**
 * The README's replay client (maxAttempts 2) against a DynamoDB that stalls: each attempt of the
 * claim's write times out on the client's side while DynamoDB still holds it, and applies it once
 * the store's withdrawal has been answered.
 */
const updateOf = (input: unknown): string =>
	(input as { UpdateExpression?: string }).UpdateExpression ?? ''

const stallingClient = () => {
	const client: DynamoDBClient = dynamodb.client({ maxAttempts: 2 })
	let stalls = 2
	const held: (() => Promise<unknown>)[] = []
	const landed: Promise<unknown>[] = []
	client.middlewareStack.add(
		(next) => async (args) => {
			const update = updateOf(args.input)
			if (update.includes('#token = :token') && stalls > 0) {
				stalls--
				held.push(() => next(args))
				throw Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: {} })
			}
			try {
				return await next(args)
			} finally {
				// Answered (the withdrawal), then the stalled writes land.
				if (update.includes('ADD #withdrawn'))
					for (const write of held.splice(0)) landed.push(write().catch((error) => error))
			}
		},
		{ step: 'finalizeRequest', priority: 'low', name: 'stallingDynamoDb' },
	)
	return { client, landed: () => Promise.all(landed) }
}

describe('a claim whose write DynamoDB applies after the client gave up', () => {
	it("the 503's identical retry is processed (the handler never ran)", async () => {
		const { client, landed } = stallingClient()
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
		expect((await h.handler(structuredClone(event))).statusCode).toBe(503)
		expect(h.seen).toHaveLength(0)
		await landed() // DynamoDB works through what it received
		// The sender's retry after Retry-After, within the timestamp tolerance.
		clock.advance(5_000)
		expect((await h.handler(structuredClone(event))).statusCode).toBe(200)
		expect(h.seen).toHaveLength(1)
		expect((await h.handler(structuredClone(event))).statusCode).toBe(401) // a replay after that
	})
})
