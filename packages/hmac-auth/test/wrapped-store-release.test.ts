import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoReplayStore, type ReplayClaim, type ReplayStore } from '../src/index.js'
import { fakeClock, harness, signedEvent } from './helpers.js'

// A claim whose answer was lost is withdrawn by dynamoReplayStore itself, so the behaviour
// travels with the store: a store wrapping it (a metrics or logging decorator) keeps it, and the
// retry the 503 invites is processed.

let dynamodb: LocalDynamoDb
const tableName = 'replay-wrapped-store'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())

let counter = 0
let body = ''
beforeEach(() => {
	dynamodb.faults.clear()
	body = JSON.stringify({ transfer: 100, wrapped: ++counter })
})

/** The local DynamoDB, whose first answer is lost after DynamoDB applied the write. */
const lossyClient = (): DynamoDBClient => {
	const client = dynamodb.client({ maxAttempts: 1 })
	let remaining = 1
	client.middlewareStack.add(
		(next) => async (args) => {
			const result = await next(args)
			if (remaining > 0) {
				remaining--
				throw Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: {} })
			}
			return result
		},
		{ step: 'finalizeRequest', priority: 'low', name: 'loseAnswer' },
	)
	return client
}

/** A decorator counting claims, as an application adds metrics to its store. */
class CountingStore implements ReplayStore {
	claims = 0
	constructor(private readonly inner: ReplayStore) {}
	claim(claim: ReplayClaim) {
		this.claims++
		return this.inner.claim(claim)
	}
	release(claim: ReplayClaim) {
		return this.inner.release?.(claim) ?? Promise.resolve()
	}
}

const wrappers: [string, (inner: ReplayStore) => ReplayStore][] = [
	['a class delegating to it', (inner) => new CountingStore(inner)],
	[
		'an object delegating both methods',
		(inner) => ({
			claim: (claim) => inner.claim(claim),
			release: (claim) => inner.release?.(claim) ?? Promise.resolve(),
		}),
	],
]

describe('dynamoReplayStore wrapped by the application, releaseReplayOnServerError', () => {
	it.each(wrappers)(
		'wrapped in %s: a claim whose answer was lost is released, and the retry is processed',
		async (_, wrap) => {
			const clock = fakeClock()
			const h = harness({
				secrets: async () => 'acme-secret',
				now: clock.now,
				replayStore: wrap(dynamoReplayStore({ tableName, client: lossyClient() })),
				releaseReplayOnServerError: true,
			})
			const event = signedEvent({
				secret: 'acme-secret',
				body,
				tenantId: 'acme',
				timestamp: clock.date(),
			})
			const send = async () => (await h.handler(structuredClone(event))).statusCode
			expect(await send()).toBe(503)
			expect(await send()).toBe(200) // the sender's retry after Retry-After, as unwrapped
			expect(h.seen).toHaveLength(1)
		},
	)
})
