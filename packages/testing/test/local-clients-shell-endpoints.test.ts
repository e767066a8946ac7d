import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager'
import { AssumeRoleCommand } from '@aws-sdk/client-sts'
import { afterEach, describe, expect, it } from 'vitest'
import { startLocalStack } from '../src/index.js'

/**
 * The shell variables `env` sets to 'false' (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT,
 * or `use_fips_endpoint = true` in the shared config file, as GovCloud and IPv6 developers keep
 * them) would also reach the clients the stack hands out, `stack.<peer>.client()`, which every package's
 * tests and the examples' `createTable` use before (or without) `applyEnv()`. With an explicit
 * `endpoint`, such a client refuses to send: "Invalid Configuration: FIPS and custom endpoint
 * are not supported", and the whole test suite would fail in that shell.
 */
const shells: [string, Record<string, string>][] = [
	['AWS_USE_FIPS_ENDPOINT=true', { AWS_USE_FIPS_ENDPOINT: 'true' }],
	['AWS_USE_DUALSTACK_ENDPOINT=true', { AWS_USE_DUALSTACK_ENDPOINT: 'true' }],
]

describe.each(shells)('the local clients in a shell with %s', (_, variables) => {
	const names = [...Object.keys(variables), 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']
	const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]))
	afterEach(() => {
		for (const [name, value] of Object.entries(saved)) {
			if (value === undefined) delete process.env[name]
			else process.env[name] = value
		}
	})

	it('reach the local peers (no applyEnv)', async () => {
		await using stack = await startLocalStack()
		const missing = join('/nonexistent', randomUUID())
		Object.assign(process.env, variables, {
			AWS_CONFIG_FILE: missing,
			AWS_SHARED_CREDENTIALS_FILE: missing,
		})
		await stack.dynamodb.createTable('tenant-items')
		const { TableNames } = await stack.dynamodb.client().send(new ListTablesCommand({}))
		expect(TableNames).toEqual(['tenant-items'])
		stack.secretsManager.putSecret('tenants/acme', 'acme-secret')
		const { SecretString } = await stack.secretsManager
			.client()
			.send(new GetSecretValueCommand({ SecretId: 'tenants/acme' }))
		expect(SecretString).toBe('acme-secret')
		const { Credentials } = await stack.sts.client().send(
			new AssumeRoleCommand({
				RoleArn: 'arn:aws:iam::000000000000:role/tenant-data-access',
				RoleSessionName: 'shell-test',
			}),
		)
		expect(Credentials?.AccessKeyId).toEqual(expect.any(String))
	})
})

describe('the local clients and env in a shell with AWS_MAX_ATTEMPTS=1', () => {
	const saved = process.env.AWS_MAX_ATTEMPTS
	afterEach(() => {
		if (saved === undefined) delete process.env.AWS_MAX_ATTEMPTS
		else process.env.AWS_MAX_ATTEMPTS = saved
	})

	it("retry as the SDK's defaults do, which the tests and the demo expect", async () => {
		await using stack = await startLocalStack()
		process.env.AWS_MAX_ATTEMPTS = '1'
		await stack.dynamodb.createTable('tenant-items')
		stack.dynamodb.faults.inject({ type: 'throttle' }, { times: 1 })
		await expect(stack.dynamodb.client().send(new ListTablesCommand({}))).resolves.toMatchObject({
			$metadata: { attempts: 2 },
		})
		const restore = stack.applyEnv()
		try {
			stack.dynamodb.faults.inject({ type: 'throttle' }, { times: 1 })
			await expect(new DynamoDBClient({}).send(new ListTablesCommand({}))).resolves.toMatchObject({
				$metadata: { attempts: 2 },
			})
		} finally {
			restore()
		}
	})
})
