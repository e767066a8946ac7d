import { inspect } from 'node:util'
import { type LocalDynamoDb, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { dynamoRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * The 503 a logger receives when DynamoDB fails under 'deny' must not hold the function's own
 * credentials: the SDK error's `$response` (not enumerable, printed by `showHidden` and by
 * loggers walking every property) leads through its socket to the signed request.
 */

let dynamodb: LocalDynamoDb
beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable('rate-limits')
})
afterAll(() => dynamodb.stop())

it('keeps the signed request out of the cause of a store failure', async () => {
	dynamodb.faults.inject({ type: 'server-error' }, { target: 'UpdateItem', times: 3 })
	const logged: unknown[] = []
	const { invoke } = pipeline(
		tenantRateLimit({
			store: dynamoRateLimitStore({ tableName: 'rate-limits', client: dynamodb.client() }),
			onStoreError: 'deny',
			logger: () => undefined,
		}),
		undefined,
		(error) => logged.push(error),
	)
	expect((await invoke('acme')).statusCode).toBe(503)
	expect(logged).toHaveLength(1)
	const text = inspect(logged[0], { showHidden: true, depth: Infinity })
	// The store's error is still there, by name.
	expect(text).toContain('InternalServerError')
	expect(text).not.toContain('x-amz-security-token')
	expect(text).not.toContain('AWS4-HMAC-SHA256 Credential=')
})
