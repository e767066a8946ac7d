import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoRateLimitStore, type RateLimit, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * Review findings: the window length is in neither the counter key
 * (`TENANT#<id>#RATE#<windowStartSec>`) nor the exhausted-window memory (tenant -> start),
 * so windows of different lengths that start at the same instant share both. Each test
 * fails on the current code.
 */

let dynamodb: LocalDynamoDb
let client: DynamoDBClient
let tableCount = 0
let tableName: string

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	client = dynamodb.client({ maxAttempts: 1 })
})
afterAll(() => dynamodb.stop())
beforeEach(async () => {
	tableName = `review-rate-limits-${++tableCount}`
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})

/** The top of an hour: a start of every window of 1 s, 60 s and 3,600 s. */
const hour = Date.UTC(2026, 10, 23, 10, 0, 0)

describe('review: windows of different lengths collide', () => {
	it('a burst limit and an hourly limit on one store count separately', async () => {
		const store = dynamoRateLimitStore({ tableName, client })
		const { invoke, calls } = pipeline([
			tenantRateLimit({ limits: { requests: 5, windowSec: 1 }, store, now: () => hour }),
			tenantRateLimit({ limits: { requests: 1_000, windowSec: 3_600 }, store, now: () => hour }),
		])
		const results = []
		for (let i = 0; i < 5; i++) results.push(await invoke('acme'))
		// Expected: five requests in the first second of the hour are within both limits, and
		// the hourly limit has 995 left. Observed: both middlewares increment the same item
		// (`TENANT#acme#RATE#<hour>`), so each request counts twice in each.
		expect({
			statuses: results.map((result) => result.statusCode),
			handlerRuns: calls.handler,
			hourlyRemaining: results[0]?.headers['RateLimit-Remaining'],
		}).toEqual({ statuses: [200, 200, 200, 200, 200], handlerRuns: 5, hourlyRemaining: '999' })
	})

	it('a tenant upgraded from a per-minute to a per-hour plan is not held at 429 by the old window', async () => {
		let plan: RateLimit = { requests: 2, windowSec: 60 }
		let now = hour
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: () => plan,
				limitsCacheTtlMs: 1_000,
				store: dynamoRateLimitStore({ tableName, client }),
				now: () => now,
			}),
		)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(429)
		// The plan becomes 100 per hour; two minutes later the free minute is long over and
		// acme has used 2 (or 3) of its 100 hourly requests.
		plan = { requests: 100, windowSec: 3_600 }
		now = hour + 120_000
		const upgraded = await invoke('acme')
		// Observed: 429 from this container's memory for the rest of the hour, without asking
		// the store, because the exhausted minute and the new hour start at the same instant.
		expect(upgraded.statusCode).toBe(200)
	})
})
