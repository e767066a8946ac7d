import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { describe, expect, it } from 'vitest'
import { type SigningAlgorithm, startLocalStack } from '../src/index.js'

describe('startLocalStack', () => {
	it('starts every peer and points endpoint-less SDK clients at them through env', async () => {
		await using stack = await startLocalStack()
		await stack.dynamodb.createTable('tenant-items')
		stack.secretsManager.putSecret('tenants/acme', { shared_secret: 's' })
		const restore = stack.applyEnv()
		try {
			const { TableNames } = await new DynamoDBClient({}).send(new ListTablesCommand({}))
			expect(TableNames).toEqual(['tenant-items'])
			const secret = await new SecretsManagerClient({}).send(
				new GetSecretValueCommand({ SecretId: 'tenants/acme' }),
			)
			expect(secret.SecretString).toBe('{"shared_secret":"s"}')
			await new STSClient({}).send(
				new AssumeRoleCommand({
					RoleArn: 'arn:aws:iam::000000000000:role/r',
					RoleSessionName: 'env-check',
				}),
			)
			expect(stack.sts.assumeRoleCalls).toHaveLength(1)
		} finally {
			restore()
		}
		expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBeUndefined()
		expect(stack.env.AWS_XRAY_DAEMON_ADDRESS).toBe(stack.xray.address)
		expect(new URL(stack.identityProvider.issuer).hostname).toBe('127.0.0.1')
	})

	it('releases every port on stop', async () => {
		const stack = await startLocalStack()
		const endpoints = [
			stack.dynamodb.endpoint,
			stack.secretsManager.endpoint,
			stack.sts.endpoint,
			stack.identityProvider.issuer,
		]
		await stack.stop()
		for (const endpoint of endpoints) await expect(fetch(endpoint)).rejects.toThrow()
	})

	it('stops the peers that started when another fails, and rethrows its error', async () => {
		const listening = () =>
			process
				.getActiveResourcesInfo()
				.filter((kind) => kind === 'TCPServerWrap' || kind === 'UDPWrap').length
		const before = listening()
		await expect(
			startLocalStack({ identityProvider: { algorithms: ['HS256' as SigningAlgorithm] } }),
		).rejects.toThrow('Invalid or unsupported "alg" (Algorithm) value')
		await new Promise((resolve) => setImmediate(resolve))
		expect(listening()).toBe(before)
	})
})
