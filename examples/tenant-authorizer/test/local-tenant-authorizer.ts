import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { type LocalStack, startLocalStack } from '@tenantry/testing'
import type {
	APIGatewayProxyStructuredResultV2,
	APIGatewayRequestAuthorizerEventV2,
	APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda'
import { vi } from 'vitest'
import type { TenantAuthorizerContext } from '../authorizer.js'

export type Decision = APIGatewaySimpleAuthorizerWithContextResult<TenantAuthorizerContext>
export type Authorize = (
	event: APIGatewayRequestAuthorizerEventV2,
	context: unknown,
) => Promise<Decision>
export type Downstream = (
	event: unknown,
	context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>

export const audience = 'tenant-api'
export const profilesTable = 'profiles'

/**
 * Starts the local stack, gives both functions the table (acme's profile on the gold plan) and
 * environment their SAM template gives them, and imports them: once per test file, as each
 * container cold-starts once.
 */
export const startTenantAuthorizer = async (): Promise<{
	stack: LocalStack
	authorize: Authorize
	downstream: Downstream
	/** A token of the test's identity provider for `tenant` (none: a token without a tenant). */
	tokenFor: (tenant: string | undefined, claims?: Record<string, unknown>) => Promise<string>
}> => {
	// @middy/http-error-handler logs every refusal; the tests look at the responses.
	vi.spyOn(console, 'error').mockImplementation(() => undefined)
	const stack = await startLocalStack()
	await stack.dynamodb.createTable(profilesTable)
	await stack.dynamodb.client().send(
		new PutItemCommand({
			TableName: profilesTable,
			Item: { pk: { S: 'TENANT#acme#PROFILE#main' }, sk: { S: 'PROFILE' }, plan: { S: 'gold' } },
		}),
	)
	stack.applyEnv()
	Object.assign(process.env, {
		ISSUER: stack.identityProvider.issuer,
		AUDIENCE: audience,
		DYNAMODB_TABLE_NAME: profilesTable,
	})
	const { handler: authorize } = (await import('../authorizer.js')) as unknown as {
		handler: Authorize
	}
	const { handler: downstream } = (await import('../handler.js')) as unknown as {
		handler: Downstream
	}
	const tokenFor = (tenant: string | undefined, claims: Record<string, unknown> = {}) =>
		stack.identityProvider.sign({
			sub: `user@${tenant}`,
			aud: audience,
			scope: 'profile:read',
			...(tenant ? { tenant_id: tenant } : {}),
			...claims,
		})
	return { stack, authorize, downstream, tokenFor }
}
