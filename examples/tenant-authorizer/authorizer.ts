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
 * A refused token becomes `{ isAuthorized: false }` (API Gateway answers 403). Two refusals stay
 * errors, so that API Gateway answers 500 and caches nothing rather than keep a deny for the
 * whole TTL: an unreachable identity provider (503), and a key the cached JWKS does not hold when
 * no refetch was due (`jwks.cooldownMs`), which may be a key the provider just rotated in. A key
 * absent from a JWKS fetched for the token is a forgery's, and denied.
 */
const refuseRejectedTokens: MiddlewareObj<APIGatewayRequestAuthorizerEventV2, AuthorizerResult> = {
	onError: (request) => {
		const error = request.error as
			| { statusCode?: number; cause?: { code?: unknown; refetched?: unknown } }
			| null
			| undefined
		if (error?.cause?.code === 'jwt_unknown_kid' && error.cause.refetched !== true) return
		if (error?.statusCode === 401 || error?.statusCode === 403)
			request.response = { isAuthorized: false }
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
