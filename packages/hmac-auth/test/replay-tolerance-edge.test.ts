import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoReplayStore, type HmacAuthOptions } from '../src/index.js'
import { fakeClock, harness, lastReason, signedEvent } from './helpers.js'

// A replayed request at the edge of its window: the record must outlive every container that
// still accepts its timestamp, whatever toleranceSec that container runs with.

let dynamodb: LocalDynamoDb
let client: DynamoDBClient
const tableName = 'replay-edge'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	client = dynamodb.client({ maxAttempts: 1 })
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())
let body = ''
let counter = 0
beforeEach(() => {
	body = JSON.stringify({ transfer: 100, edge: ++counter })
})

const container = (clock: ReturnType<typeof fakeClock>, extra: HmacAuthOptions = {}) =>
	harness({
		secrets: async (tenantId) => `${tenantId}-secret`,
		now: clock.now,
		replayStore: dynamoReplayStore({ tableName, client }),
		...extra,
	})

describe('a replay at the edge of the timestamp tolerance', () => {
	it('is refused up to the last millisecond its timestamp is accepted, fractions included', async () => {
		for (const [fraction, fractionMs] of [
			['', 0],
			['.001', 1],
			['.999999999', 999.999999],
		] as const) {
			const clock = fakeClock()
			const timestamp = `${clock.date().toISOString().slice(0, 19)}${fraction}Z`
			const event = signedEvent({
				secret: 'acme-secret',
				body: `${body}${fraction}`,
				tenantId: 'acme',
				timestamp,
			})
			const first = container(clock)
			expect((await first.handler(structuredClone(event))).statusCode).toBe(200)
			// The last whole millisecond before timestamp + toleranceSec.
			clock.advance(Math.ceil(fractionMs + 300_000) - 1)
			const other = container(clock)
			expect((await other.handler(structuredClone(event))).statusCode).toBe(401)
			expect(lastReason(other)).toBe('hmac_replayed_request')
			clock.advance(1)
			expect((await other.handler(structuredClone(event))).statusCode).toBe(401)
			expect(lastReason(other)).toBe('hmac_timestamp_out_of_tolerance')
		}
	})

	// A deploy that raises toleranceSec runs old and new containers side by side: a request
	// claimed by an old one (record until timestamp + 300 s) must still be a replay in a new one,
	// which accepts its timestamp until + 600 s.
	it('is refused by a container with a larger toleranceSec than the one that claimed it', async () => {
		const clock = fakeClock()
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		const before = container(clock, { toleranceSec: 300 })
		expect((await before.handler(structuredClone(event))).statusCode).toBe(200)
		clock.advance(400_000)
		const after = container(clock, { toleranceSec: 600 })
		expect((await after.handler(structuredClone(event))).statusCode).toBe(401)
		expect(lastReason(after)).toBe('hmac_replayed_request')
	})
})
