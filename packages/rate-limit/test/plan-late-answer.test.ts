import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { type HttpResult, pipeline, plansTable } from './setup.js'

/**
 * A plans table that answers, but later than `limitsTimeoutMs` (a cold connection, SDK retries
 * after a throttle, a slow region: 2.5 s against the default 2 s). If each late answer were
 * thrown away, every lookup would time out and the tenant's plan would never apply: with
 * 'allow' it would never be limited (a suspended tenant, `requests: 0`, would get through),
 * with 'deny' every request would be a 503, although the table answers every lookup.
 */

let dynamodb: LocalDynamoDb
beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable('plans')
	await dynamodb.client().send(
		new PutItemCommand({
			TableName: 'plans',
			Item: { pk: { S: 'TENANT#acme' }, sk: { S: 'PLAN' }, requests: { N: '1' } },
		}),
	)
})
afterAll(() => dynamodb.stop())
beforeEach(() => dynamodb.faults.clear())

const start = Date.UTC(2026, 11, 5, 10, 0, 0)
const timeoutMs = 100
/** How late the table answers: past the timeout, well within a Lambda's. */
const lateMs = 250
/** Lets the promise callbacks that follow an answer run. */
const settled = () => new Promise((resolve) => setImmediate(resolve))

const limiter = (onStoreError: 'allow' | 'deny') => {
	const clock = { now: start }
	const { limits, counts } = plansTable(dynamodb.client())
	const { invoke, calls } = pipeline(
		tenantRateLimit({
			limits,
			limitsTimeoutMs: timeoutMs,
			store: memoryRateLimitStore(),
			onStoreError,
			logger: () => undefined,
			now: () => clock.now,
		}),
	)
	/**
	 * Requests 1.5 s apart (past the failure backoff), each followed by the table's late answer
	 * to the lookup it started, if it started one.
	 */
	const requests = async (n: number): Promise<HttpResult[]> => {
		const results: HttpResult[] = []
		for (let i = 0; i < n; i++) {
			const started = counts.lookups
			results.push(await invoke('acme'))
			await vi.waitFor(() => expect(counts.answered).toBe(counts.lookups), { timeout: 10_000 })
			if (counts.lookups > started) await settled()
			clock.now += 1_500
		}
		return results
	}
	return { requests, calls, answered: () => counts.answered }
}

describe('a plans table that answers later than limitsTimeoutMs', () => {
	it("still limits the tenant to its plan ('allow')", async () => {
		dynamodb.faults.inject({ type: 'delay', ms: lateMs }, { target: 'plans' })
		const { requests, calls, answered } = limiter('allow')
		const results = await requests(4)
		// The table answered lookups with the plan of one request per minute...
		expect(answered()).toBeGreaterThan(0)
		// ...so of four requests within a minute, the first (answered before its plan, as
		// onStoreError says) and the one the plan allows go through; the rest are refused.
		expect(calls.handler).toBeLessThanOrEqual(2)
		expect(results.filter((r) => r.statusCode === 429).length).toBeGreaterThanOrEqual(2)
	})

	it("does not answer every request 503 ('deny')", async () => {
		dynamodb.faults.inject({ type: 'delay', ms: lateMs }, { target: 'plans' })
		const { requests, calls, answered } = limiter('deny')
		const results = await requests(4)
		expect(answered()).toBeGreaterThan(0)
		// The plan (one request per minute) was answered: its request goes through.
		expect(calls.handler).toBe(1)
		expect(results.some((r) => r.statusCode === 200)).toBe(true)
	})
})
