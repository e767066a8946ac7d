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
 * jwtAuth's refusal of a token that may be good seconds later. Its 401's message is `Unauthorized`,
 * which API Gateway reads as its own 401 signal: the client would drop a token that works, the
 * very answer a deny would give. Another message makes it a 500; the status and reason stay for
 * the logs.
 */
class NoDecisionYetError extends Error {
	readonly statusCode: number | undefined
	constructor(refused: { statusCode?: number; cause?: { code?: unknown } }) {
		super(`no decision for this token yet (${String(refused.cause?.code)}): retry`, {
			cause: refused.cause,
		})
		this.name = 'NoDecisionYetError'
		this.statusCode = refused.statusCode
	}
}

/**
 * A refused token becomes `{ isAuthorized: false }` (API Gateway answers 403). Three refusals stay
 * errors, so that API Gateway answers 500 and caches nothing rather than keep a deny for the
 * whole TTL: an unreachable identity provider (503), a key the cached JWKS does not hold when
 * no refetch was due (`jwks.cooldownMs`), which may be a key the provider just rotated in, and a
 * token not valid yet (`nbf`, or `iat` ahead of this clock), which may be valid seconds later. A
 * key absent from a JWKS fetched for the token is a forgery's, and denied.
 */
const refuseRejectedTokens: MiddlewareObj<APIGatewayRequestAuthorizerEventV2, AuthorizerResult> = {
	onError: (request) => {
		const error = request.error as
			| { statusCode?: number; cause?: { code?: unknown; refetched?: unknown } }
			| null
			| undefined
		if (error === null || error === undefined) return
		const code = error.cause?.code
		// A key the provider may just have rotated in, or a token valid within seconds under a small
		// clock skew between the provider and Lambda: a deny would be cached for the whole TTL.
		if (
			(code === 'jwt_unknown_kid' && error.cause?.refetched !== true) ||
			code === 'jwt_not_yet_valid' ||
			code === 'jwt_iat_future'
		) {
			request.error = new NoDecisionYetError(error)
			return
		}
		if (error.statusCode === 401 || error.statusCode === 403) {
			// The client gets a bare 403: the reason (a fixed code, never token data) is only here,
			// e.g. every token refused for an Audience parameter that does not match the provider's.
			console.warn(
				JSON.stringify({
					level: 'WARN',
					message: 'authorizer deny',
					code,
					requestId: request.event.requestContext?.requestId,
				}),
			)
			request.response = { isAuthorized: false }
		}
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
