import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { dynamoRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * Found by examples/tenant-api/test/chaos.property.test.ts: one UpdateItem answered 200 without
 * the counter (an empty body, a proxy's page) was read as the limit reached, so the container
 * marked the tenant's window exhausted and answered 429 to every request until the window ended
 * (a day, with the example's template), long after DynamoDB was back. An answer without a count
 * is a store failure, as it is from a store of the caller's own: `onStoreError` decides.
 */

let dynamodb: LocalDynamoDb
beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable('rate-limits')
})
afterAll(() => dynamodb.stop())

const start = Date.UTC(2026, 11, 6, 10, 0, 0)

it.each([
	['an empty 200', { type: 'respond', status: 200, body: '' }],
	['a 200 without Attributes', { type: 'respond', status: 200, body: '{}' }],
	['an oversized 200', { type: 'oversized' }],
] as const)('takes %s for a store failure, not for the limit reached', async (_, fault) => {
	const logged: string[] = []
	const { invoke, calls } = pipeline(
		tenantRateLimit({
			limits: { requests: 100, windowSec: 3600 },
			store: dynamoRateLimitStore({ tableName: 'rate-limits', client: dynamodb.client() }),
			logger: (line) => logged.push(line),
			now: () => start,
		}),
	)
	const tenant = `t-${fault.type}-${'status' in fault ? fault.body.length : 0}`
	dynamodb.faults.inject(fault, { target: 'UpdateItem', times: 1 })
	const during = await invoke(tenant)
	expect(during.statusCode).toBe(200)
	expect(logged).toHaveLength(1)
	// DynamoDB is back: the tenant has 1 of its 100 requests counted, not its window spent.
	const after = await invoke(tenant)
	expect(after.statusCode).toBe(200)
	expect(after.headers?.['RateLimit-Remaining']).toBe('99')
	expect(calls.handler).toBe(2)
})

it.each(['0', '-3'])(
	'takes a 200 whose counter reads %s for a store failure, not a count below the limit',
	async (n) => {
		// ADD #count :one leaves at least 1 on an item the store alone writes: less is not a count
		// this request was let through under, so it must not set RateLimit-Remaining above the limit.
		const logged: string[] = []
		const { invoke, calls } = pipeline(
			tenantRateLimit({
				limits: { requests: 100, windowSec: 3600 },
				store: dynamoRateLimitStore({ tableName: 'rate-limits', client: dynamodb.client() }),
				logger: (line) => logged.push(line),
				now: () => start,
			}),
		)
		const tenant = `t-counter-${n.length}`
		const body = JSON.stringify({ Attributes: { count: { N: n } } })
		dynamodb.faults.inject(
			{ type: 'respond', status: 200, body },
			{ target: 'UpdateItem', times: 1 },
		)
		const during = await invoke(tenant)
		expect(during.statusCode).toBe(200)
		expect(during.headers?.['RateLimit-Remaining']).toBeUndefined()
		expect(logged).toHaveLength(1)
		const after = await invoke(tenant)
		expect(after.headers?.['RateLimit-Remaining']).toBe('99')
		expect(calls.handler).toBe(2)
	},
)
