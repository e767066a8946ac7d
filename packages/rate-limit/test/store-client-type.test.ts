import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { startDynamoDb } from '@tenantry/testing'
import { expect, expectTypeOf, it } from 'vitest'
import { type DynamoRateLimitStoreOptions, dynamoRateLimitStore } from '../src/index.js'

/**
 * A client from another copy of the AWS SDK (a layer's beside the bundle's, two versions under
 * pnpm) is a different class to TypeScript: its private members do not match. The store only
 * sends commands, so any object that does is accepted, as hmac-auth's replay store accepts it.
 */
interface ClientOfAnotherSdkCopy {
	readonly config: { serviceId: string }
	send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>
}

it('types its client by what it uses: any copy of the SDK fits', () => {
	expectTypeOf<ClientOfAnotherSdkCopy>().toExtend<DynamoRateLimitStoreOptions['client']>()
	expectTypeOf<DynamoDBClient>().toExtend<DynamoRateLimitStoreOptions['client']>()
})

it('counts through a client given only as something that sends commands', async () => {
	const dynamodb = await startDynamoDb()
	try {
		await dynamodb.createTable('rate-limits')
		const client: ClientOfAnotherSdkCopy = dynamodb.client()
		const store = dynamoRateLimitStore({ tableName: 'rate-limits', client })
		const window = { windowStart: 0, windowEnd: 60_000, limit: 1, name: undefined }
		expect(await store.consume({ tenantId: 'acme', ...window })).toEqual({
			allowed: true,
			count: 1,
		})
		expect(await store.consume({ tenantId: 'acme', ...window })).toEqual({
			allowed: false,
			count: 1,
		})
	} finally {
		await dynamodb.stop()
	}
})
