import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoReplayStore, type HmacAuthOptions, type ReplayClaim } from '../src/index.js'
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

describe('the expiry a claim asks for', () => {
	it('rounds up: the record outlives the last millisecond its timestamp is accepted', async () => {
		// A timestamp with a fraction of a second: rounded down, DynamoDB's TTL could delete the
		// record up to a second before the request stops being accepted, and let a replay in.
		const clock = fakeClock()
		const claims: ReplayClaim[] = []
		const h = harness({
			secrets: async (tenantId) => `${tenantId}-secret`,
			now: clock.now,
			replayStore: {
				claim: async (claim) => {
					claims.push(claim)
					return true
				},
			},
		})
		const timestamp = '2026-11-23T10:00:00.500Z'
		const signed = signedEvent({ secret: 'acme-secret', body, tenantId: 'acme', timestamp })
		expect((await h.handler(signed)).statusCode).toBe(200)
		// Accepted until the timestamp plus toleranceSec (300 by default), 10:05:00.500.
		const acceptedUntilMs = Date.parse(timestamp) + 300_000
		expect(claims.map((claim) => claim.expiresAt)).toEqual([Math.ceil(acceptedUntilMs / 1000)])
		expect(claims[0]?.expiresAt).toBeGreaterThan(acceptedUntilMs / 1000)
	})
})
