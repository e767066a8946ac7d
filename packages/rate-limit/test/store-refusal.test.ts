import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { expect, it } from 'vitest'
import { dynamoRateLimitStore } from '../src/index.js'

// Two copies of the SDK in one function (a layer and a bundle), or one older than the
// cross-copy `Symbol.hasInstance`: the refusal is not an instance of the class the store
// imports. Taken for an outage, it would let the request through with onStoreError 'allow'.
it('takes a refused write by its name, whichever copy of the SDK raised it', async () => {
	const refusal = Object.assign(new Error('The conditional request failed'), {
		name: 'ConditionalCheckFailedException',
	})
	const client = {
		send: () => Promise.reject(refusal),
	} as unknown as DynamoDBClient
	const store = dynamoRateLimitStore({ tableName: 'rate-limits', client })
	await expect(
		store.consume({
			tenantId: 'acme',
			windowStart: 0,
			windowEnd: 60_000,
			limit: 5,
			name: undefined,
		}),
	).resolves.toEqual({ allowed: false, count: 5 })
})
