import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline, plansTable } from './setup.js'

/**
 * Plans read from a DynamoDB table, as the README's example does, with the SDK's defaults: when
 * that table takes the request and never answers, the lookup would hold every request until the
 * function times out, so neither 'allow' nor 'deny' would ever apply. `limitsTimeoutMs` makes
 * such a lookup a failed one.
 */

let dynamodb: LocalDynamoDb
beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable('plans')
})
// Stopping cuts off the requests dynalite is still holding.
afterAll(() => dynamodb.stop())
beforeEach(() => dynamodb.faults.clear())

const start = Date.UTC(2026, 11, 5, 10, 0, 0)

const limiter = (onStoreError: 'allow' | 'deny', clock = { now: start }) => {
	const { limits, counts } = plansTable(dynamodb.client())
	const run = pipeline(
		tenantRateLimit({
			limits,
			limitsTimeoutMs: 200,
			store: memoryRateLimitStore(),
			onStoreError,
			logger: () => undefined,
			now: () => clock.now,
		}),
	)
	return { ...run, lookups: () => counts.lookups }
}

describe('a plans table that does not answer', () => {
	it("lets the request through once limitsTimeoutMs passes ('allow')", async () => {
		dynamodb.faults.inject({ type: 'delay', ms: 600_000 }, { target: 'plans' })
		const { invoke, calls } = limiter('allow')
		expect((await invoke('acme')).statusCode).toBe(200)
		expect(calls.handler).toBe(1)
	})

	it("answers 503 with Retry-After once limitsTimeoutMs passes ('deny')", async () => {
		dynamodb.faults.inject({ type: 'delay', ms: 600_000 }, { target: 'plans' })
		const { invoke, calls } = limiter('deny')
		const response = await invoke('acme')
		expect(response.statusCode).toBe(503)
		expect(response.headers['Retry-After']).toEqual(expect.any(String))
		expect(calls.handler).toBe(0)
	})

	it("keeps the tenant's last known plan once its cache time is over", async () => {
		await dynamodb.client().send(
			new PutItemCommand({
				TableName: 'plans',
				Item: { pk: { S: 'TENANT#acme' }, sk: { S: 'PLAN' }, requests: { N: '1' } },
			}),
		)
		const clock = { now: start }
		const { invoke, lookups } = limiter('allow', clock)
		expect((await invoke('acme')).statusCode).toBe(200)
		dynamodb.faults.inject({ type: 'delay', ms: 600_000 }, { target: 'plans' })
		clock.now += 61_000
		// The plan of one request per window still holds: the next window's first is allowed,
		// its second refused, although the lookup of its new plan never answered.
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(429)
		// One wait for the lookup, not one per request: the second request did not look it up.
		expect(lookups()).toBe(2)
		// A second later the lookup is tried again (and waits again).
		clock.now += 1_000
		expect((await invoke('acme')).statusCode).toBe(429)
		expect(lookups()).toBe(3)
	})

	it('waits for a lookup once per tenant and second while the table does not answer', async () => {
		dynamodb.faults.inject({ type: 'delay', ms: 600_000 }, { target: 'plans' })
		const clock = { now: start }
		const { invoke, calls, lookups } = limiter('allow', clock)
		for (let i = 0; i < 5; i++) expect((await invoke('acme')).statusCode).toBe(200)
		expect(await Promise.all([invoke('acme'), invoke('globex')])).toMatchObject([
			{ statusCode: 200 },
			{ statusCode: 200 },
		])
		expect({ handler: calls.handler, lookups: lookups() }).toEqual({ handler: 7, lookups: 2 })
	})
})
