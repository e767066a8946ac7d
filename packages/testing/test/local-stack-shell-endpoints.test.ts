import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { afterEach, describe, expect, it } from 'vitest'
import { startLocalStack } from '../src/index.js'

/**
 * Variables of a developer's shell that keep SDK clients off the endpoints `applyEnv()` sets: with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (set by developers who keep
 * `endpoint_url`s for LocalStack in their config), the SDK ignores every `AWS_ENDPOINT_URL_*`,
 * and `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT` (GovCloud, IPv6 shells) make a
 * client with a configured endpoint refuse to send. `pnpm demo` then fails as it did with a
 * profile.
 */
describe.each([
	['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', 'true'],
	['AWS_USE_FIPS_ENDPOINT', 'true'],
	['AWS_USE_DUALSTACK_ENDPOINT', 'true'],
])('startLocalStack: applyEnv in a shell with %s=%s', (name, value) => {
	const saved = {
		[name]: process.env[name],
		AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE,
		AWS_SHARED_CREDENTIALS_FILE: process.env.AWS_SHARED_CREDENTIALS_FILE,
	}
	afterEach(() => {
		for (const [key, previous] of Object.entries(saved)) {
			if (previous === undefined) delete process.env[key]
			else process.env[key] = previous
		}
	})

	it('endpoint-less clients reach the local stack', async () => {
		await using stack = await startLocalStack()
		await stack.dynamodb.createTable('tenant-items')
		const missing = join('/nonexistent', randomUUID())
		process.env.AWS_CONFIG_FILE = missing
		process.env.AWS_SHARED_CREDENTIALS_FILE = missing
		process.env[name] = value
		const restore = stack.applyEnv()
		try {
			const client = new DynamoDBClient({
				maxAttempts: 1,
				requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_000 },
			})
			const { TableNames } = await client.send(new ListTablesCommand({}))
			expect(TableNames).toEqual(['tenant-items'])
		} finally {
			restore()
		}
	})
})
