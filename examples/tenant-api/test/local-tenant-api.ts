import { type LocalStack, startLocalStack } from '@tenantry/testing'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda'
import { vi } from 'vitest'

export const tableName = 'tenant-items'
export const audience = 'tenant-api'

export type Handler = (
	event: APIGatewayProxyEventV2,
	context: unknown,
) => Promise<APIGatewayProxyResultV2>

/**
 * Starts the local stack, gives the handler the table and environment its SAM template gives
 * it, and imports it: once per test file, as a container cold-starts once.
 */
export const startTenantApi = async (options: {
	rateLimitRequests: number
}): Promise<{ stack: LocalStack; handler: Handler }> => {
	// @middy/http-error-handler logs every refusal; the tests look at the responses.
	vi.spyOn(console, 'error').mockImplementation(() => undefined)
	const stack = await startLocalStack()
	await stack.dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
	stack.applyEnv()
	Object.assign(process.env, stack.xray.lambdaEnv('tenant-api'), {
		ISSUER: stack.identityProvider.issuer,
		AUDIENCE: audience,
		DYNAMODB_TABLE_NAME: tableName,
		TENANT_ROLE_ARN: 'arn:aws:iam::000000000000:role/tenant-data',
		RATE_LIMIT_REQUESTS: String(options.rateLimitRequests),
		RATE_LIMIT_WINDOW_SEC: '86400',
	})
	const { handler } = (await import('../handler.js')) as unknown as { handler: Handler }
	return { stack, handler }
}
