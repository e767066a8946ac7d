import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { pipeline, roleArn, type Stack, startStack, table } from './harness.js'

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())
afterEach(() => {
	vi.useRealTimers()
})

/** acme's handler reads globex's item: the guard must refuse it, whatever STS is doing. */
const crossTenantReader = (through: 'client' | 'document client' = 'client') =>
	pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
		},
		async (context) =>
			through === 'client'
				? context.clients.dynamodb.send(
						new GetItemCommand({
							TableName: table,
							Key: { pk: { S: 'TENANT#globex#item#1' }, sk: { S: '1' } },
						}),
					)
				: DynamoDBDocumentClient.from(context.clients.dynamodb).send(
						new GetCommand({ TableName: table, Key: { pk: 'TENANT#globex#item#1', sk: '1' } }),
					),
	)

describe('the guard runs before the tenant credentials are resolved', () => {
	it.each(['client', 'document client'] as const)(
		'a cross-tenant key is a 403 reported to onViolation even while STS is failing (%s)',
		async (through) => {
			stack.sts.faults.inject({ type: 'server-error' })
			const { invoke, violations } = crossTenantReader(through)
			const response = await invoke('acme')
			expect(response.statusCode).toBe(403)
			expect(violations).toMatchObject([
				{ code: 'dynamodb_cross_tenant_key', tenant: 'acme', claimedTenant: 'globex' },
			])
		},
	)

	it('a refused request makes no AssumeRole call (nothing is sent)', async () => {
		const { invoke, violations } = crossTenantReader()
		expect((await invoke('acme')).statusCode).toBe(403)
		expect(violations).toHaveLength(1)
		expect(stack.dynamodb.requests.filter((r) => r.operation === 'GetItem')).toHaveLength(0)
		expect(stack.sts.assumeRoleCalls).toHaveLength(0)
	})
})
