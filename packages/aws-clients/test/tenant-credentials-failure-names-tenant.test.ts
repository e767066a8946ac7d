import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { TenantCredentialsUnavailableError } from '../src/index.js'
import { pipeline, roleArn, type Stack, startStack, table } from './harness.js'

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

/**
 * The log is all the on-call has: a 503 for one tenant (its session tags refused by the role's
 * trust policy) must be told apart from STS failing for everyone, and a role ARN mistyped in
 * one function's environment from the others'.
 */
it.each([
	['access denied', { type: 'access-denied' }],
	['throttling', { type: 'throttle' }],
] as const)(
	'a failed AssumeRole (%s) names the tenant and the role in its cause',
	async (_name, fault) => {
		stack.sts.faults.inject(fault)
		const { invoke, errors } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
			},
			async (context) =>
				context.clients.dynamodb.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: context.tenant.key('i', '1') }, sk: { S: '1' } },
					}),
				),
		)
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 503 })
		const cause = (errors[0] as { cause?: Record<string, unknown> }).cause
		expect(cause).toMatchObject({
			code: 'tenant_credentials_unavailable',
			tenantId: 'acme',
			roleArn,
		})
		expect(String(cause?.message)).toContain("'acme'")
	},
)

it('an error built without a tenant, as code outside the middleware may build it, names none', () => {
	const cause = new Error('ExpiredToken')
	const error = new TenantCredentialsUnavailableError(cause)
	expect(error.message).toBe('AssumeRole for the tenant failed')
	expect(error).toMatchObject({ tenantId: undefined, roleArn: undefined, cause })
	expect(new TenantCredentialsUnavailableError(cause, 'acme', roleArn).message).toBe(
		"AssumeRole for tenant 'acme' failed",
	)
})
