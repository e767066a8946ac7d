import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { afterEach, describe, expect, it } from 'vitest'
import { localCredentials, startLocalStack } from '../src/index.js'

/**
 * A developer's shell often exports `AWS_PROFILE` (SSO, several accounts). The SDK's default
 * chain then skips `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` ("AWS_PROFILE is set, skipping
 * fromEnv provider"), so the local credentials `applyEnv()` promises never reach the clients:
 * they fail (no such profile, expired SSO) or sign with the developer's real credentials.
 * `pnpm demo` fails 16 of its rows that way (`AWS_PROFILE=dev pnpm demo`).
 */
describe('startLocalStack: applyEnv in a shell with AWS_PROFILE', () => {
	const saved = {
		AWS_PROFILE: process.env.AWS_PROFILE,
		AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE,
		AWS_SHARED_CREDENTIALS_FILE: process.env.AWS_SHARED_CREDENTIALS_FILE,
	}
	afterEach(() => {
		for (const [name, value] of Object.entries(saved)) {
			if (value === undefined) delete process.env[name]
			else process.env[name] = value
		}
	})

	it('endpoint-less clients sign with the local credentials, not the profile', async () => {
		await using stack = await startLocalStack()
		await stack.dynamodb.createTable('tenant-items')
		// A profile this machine does not have, and no shared files: hermetic.
		const missing = join('/nonexistent', randomUUID())
		process.env.AWS_CONFIG_FILE = missing
		process.env.AWS_SHARED_CREDENTIALS_FILE = missing
		process.env.AWS_PROFILE = `developer-sso-${randomUUID()}`
		const restore = stack.applyEnv()
		try {
			const { TableNames } = await new DynamoDBClient({}).send(new ListTablesCommand({}))
			expect(TableNames).toEqual(['tenant-items'])
			expect(stack.dynamodb.requests.at(-1)?.accessKeyId).toBe(localCredentials.accessKeyId)
		} finally {
			restore()
		}
		// The developer's profile is back once the stack's environment is restored.
		expect(process.env.AWS_PROFILE).toMatch(/^developer-sso-/)
	})
})
