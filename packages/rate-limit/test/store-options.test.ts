import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
	type DynamoRateLimitStoreOptions,
	dynamoRateLimitStore,
	tenantRateLimit,
} from '../src/index.js'
import { countStatuses, pipeline } from './setup.js'

/**
 * Store options that would make every write fail are refused when the store is created: with
 * `allow`, they would lift the limit.
 */

let dynamodb: LocalDynamoDb
let client: DynamoDBClient
let tableCount = 0
beforeAll(async () => {
	dynamodb = await startDynamoDb()
	client = dynamodb.client({ maxAttempts: 1 })
})
afterAll(() => dynamodb.stop())

const start = Date.UTC(2026, 10, 23, 10, 0, 0)

// The counter is the fixed attribute `count`; an update sets an attribute once, and never a key
// attribute: every UpdateItem would be a ValidationException.
describe('DynamoDB store attributes that make every write fail', () => {
	it.each<
		[
			Partial<DynamoRateLimitStoreOptions>,
			string,
			{ partitionKey?: string; sortKey?: string | null },
		]
	>([
		[{ ttlAttribute: 'count' }, 'store.ttlAttribute', {}],
		[{ ttlAttribute: 'pk' }, 'store.ttlAttribute', {}],
		[{ ttlAttribute: 'sk' }, 'store.ttlAttribute', {}],
		[{ partitionKey: 'count' }, 'store.partitionKey', { partitionKey: 'count' }],
		[{ sortKey: 'count' }, 'store.sortKey', { sortKey: 'count' }],
		// One attribute for both keys: the key would hold the sort key's value alone.
		[{ sortKey: 'pk' }, 'store.partitionKey', {}],
		// DynamoDB's limit for a key attribute's name is 255 bytes.
		[{ partitionKey: 'p'.repeat(256) }, 'store.partitionKey', {}],
	])(
		'refuses %o at factory time (%s) rather than limiting nothing',
		async (attributes, option, table) => {
			const tableName = `store-options-${++tableCount}`
			await dynamodb.createTable(tableName, table)
			let store: ReturnType<typeof dynamoRateLimitStore> | undefined
			let refused: unknown
			try {
				store = dynamoRateLimitStore({ tableName, client, ...attributes })
			} catch (error) {
				refused = error
			}
			if (store !== undefined) {
				// What the option does today: every write fails, and `allow` lets everything through.
				const { invoke } = pipeline(
					tenantRateLimit({
						limits: { requests: 2, windowSec: 60 },
						store,
						logger: () => undefined,
						now: () => start,
					}),
				)
				const results = []
				for (let i = 0; i < 5; i++) results.push(await invoke('acme'))
				expect(countStatuses(results)).toEqual({ 200: 2, 429: 3 })
			}
			expect(refused).toMatchObject({
				name: 'TypeError',
				cause: { package: '@tenantry/rate-limit', option },
			})
		},
	)
})

/**
 * `timeoutMs` becomes `AbortSignal.timeout(timeoutMs)`, a Node timer: a delay above 2^31 - 1 ms
 * is set to 1 ms (with a TimeoutOverflowWarning), and one above 2^32 - 1 throws a RangeError.
 * Either way every write fails, and `allow` lets everything through. A large value is what
 * someone asking for "no deadline of the store's own" would pass; the factory accepts it as a
 * positive safe integer.
 */
describe('a store timeoutMs beyond what a Node timer can hold', () => {
	it.each([2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER])(
		'timeoutMs %d is refused at creation or honoured, never a limit of nothing',
		async (timeoutMs) => {
			const tableName = `store-timeout-${++tableCount}`
			await dynamodb.createTable(tableName)
			let store: ReturnType<typeof dynamoRateLimitStore>
			try {
				store = dynamoRateLimitStore({ tableName, client, timeoutMs })
			} catch (error) {
				expect(error).toMatchObject({
					name: 'TypeError',
					cause: { package: '@tenantry/rate-limit', option: 'store.timeoutMs' },
				})
				return
			}
			const logged: string[] = []
			const { invoke } = pipeline(
				tenantRateLimit({
					limits: { requests: 2, windowSec: 60 },
					store,
					logger: (line: string) => logged.push(line),
					now: () => start,
				}),
			)
			const results = []
			for (let i = 0; i < 5; i++) results.push(await invoke('acme'))
			expect(logged).toEqual([]) // no store error
			expect(countStatuses(results)).toEqual({ 200: 2, 429: 3 })
		},
	)
})

describe('a table without a sort key', () => {
	it('sortKey: null counts against the partition key alone', async () => {
		// The key must then name no sort key attribute at all: any other makes every write a
		// ValidationException, and `allow` lets everything through.
		const tableName = `store-pk-only-${++tableCount}`
		await dynamodb.createTable(tableName, { sortKey: null })
		const logged: string[] = []
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 2, windowSec: 60 },
				store: dynamoRateLimitStore({ tableName, client, sortKey: null }),
				logger: (line: string) => logged.push(line),
				now: () => start,
			}),
		)
		const results = []
		for (let i = 0; i < 5; i++) results.push(await invoke('acme'))
		expect(logged).toEqual([])
		expect(countStatuses(results)).toEqual({ 200: 2, 429: 3 })
	})
})
