import middy, { type MiddlewareObj } from '@middy/core'
import { jwtAuth } from '@tenantry/jwt-auth'
import type {
	APIGatewayRequestAuthorizerEventV2,
	APIGatewaySimpleAuthorizerResult,
	APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda'

/** What the downstream functions find in `requestContext.authorizer.lambda`. */
export interface TenantAuthorizerContext {
	tenant_id: string
	sub: string
	scope: string
}

type AuthorizerResult =
	| APIGatewaySimpleAuthorizerResult
	| APIGatewaySimpleAuthorizerWithContextResult<TenantAuthorizerContext>

/** Required configuration, read at cold start so a missing variable fails the first invocation loudly. */
const env = (name: string): string => {
	const value = process.env[name]
	if (!value) throw new Error(`environment variable ${name} is not set`)
	return value
}

/**
 * A refused token becomes `{ isAuthorized: false }` (API Gateway answers 403). An unreachable
 * identity provider (503) stays an error: API Gateway then answers 500 instead of telling a
 * valid client its token is bad, and does not cache the decision.
 */
const refuseRejectedTokens: MiddlewareObj<APIGatewayRequestAuthorizerEventV2, AuthorizerResult> = {
	onError: (request) => {
		const status = (request.error as { statusCode?: number } | null | undefined)?.statusCode
		if (status === 401 || status === 403) request.response = { isAuthorized: false }
	},
}

/**
 * HTTP API Lambda authorizer (payload 2.0, simple responses). API Gateway caches each decision
 * per `Authorization` header for the authorizer's TTL, so a token is verified once per TTL.
 */
export const handler = middy<APIGatewayRequestAuthorizerEventV2, AuthorizerResult>()
	.use(jwtAuth({ issuers: { issuer: env('ISSUER'), audience: env('AUDIENCE') } }))
	.use(refuseRejectedTokens)
	.handler(async (_event, context): Promise<AuthorizerResult> => {
		const { tenantId, subject, scopes } = context.auth
		// jwtAuth refuses tokens without a tenant (tenantRequired); this only narrows the type.
		if (tenantId === undefined) return { isAuthorized: false }
		return {
			isAuthorized: true,
			context: { tenant_id: tenantId, sub: subject, scope: scopes.join(' ') },
		}
	})
