import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { dynamoRateLimitStore, memoryRateLimitStore, type RateLimitStore } from '../src/index.js'
import { checkedStore } from '../src/store-answer.js'

/** The answer check is for the caller's own stores: this package's stores are used as built. */
describe('checkedStore', () => {
	it("uses this package's stores as they are, unwrapped", () => {
		const memory = memoryRateLimitStore()
		const dynamo = dynamoRateLimitStore({
			tableName: 'rate-limits',
			client: { send: async () => ({}) } as unknown as DynamoDBClient,
		})
		expect(checkedStore(memory)).toBe(memory)
		expect(checkedStore(dynamo)).toBe(dynamo)
	})

	it("wraps a caller's store, whose answers are checked", () => {
		const custom: RateLimitStore = { consume: () => ({ allowed: true, count: 1 }) }
		expect(checkedStore(custom)).not.toBe(custom)
	})
})
