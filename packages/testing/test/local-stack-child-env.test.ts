import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { localCredentials, startLocalStack } from '../src/index.js'

/**
 * A child process (a CLI, a worker) cannot get `applyEnv()`: `childEnv()` gives it the same
 * environment. In a developer's shell with `AWS_PROFILE` (SSO, several accounts), the child's SDK
 * would otherwise skip `AWS_ACCESS_KEY_ID` and fail, or sign with the developer's real keys.
 */
const run = promisify(execFile)

const child = `
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
const { TableNames } = await new DynamoDBClient({ maxAttempts: 1 }).send(new ListTablesCommand({}))
console.log(JSON.stringify(TableNames))
`

describe('startLocalStack: childEnv for a child process in a shell with AWS_PROFILE', () => {
	it('its endpoint-less clients sign with the local credentials, as after applyEnv()', async () => {
		await using stack = await startLocalStack()
		await stack.dynamodb.createTable('tenant-items')
		const missing = join('/nonexistent', randomUUID())
		const shell = {
			...process.env,
			AWS_PROFILE: `developer-sso-${randomUUID()}`,
			AWS_CONFIG_FILE: missing,
			AWS_SHARED_CREDENTIALS_FILE: missing,
		}
		const outcome = await run(process.execPath, ['--input-type=module', '-e', child], {
			cwd: join(import.meta.dirname, '..'),
			env: stack.childEnv(shell),
		}).then(
			({ stdout }) => stdout.trim(),
			(error: { stderr?: string }) =>
				`failed: ${error.stderr?.split('\n').find((l) => l.includes('Error')) ?? ''}`,
		)
		expect(outcome).toBe('["tenant-items"]')
		expect(stack.dynamodb.requests.at(-1)?.accessKeyId).toBe(localCredentials.accessKeyId)
	})
})
