import type { AuthContextBase, WithAuth } from '@tenantry/util'

/** The claims of a verified token (RFC 7519 registered names typed, everything else `unknown`). */
export interface JWTPayload {
	readonly iss?: string
	readonly sub?: string
	readonly aud?: string | readonly string[]
	readonly jti?: string
	readonly nbf?: number
	readonly exp?: number
	readonly iat?: number
	readonly [claim: string]: unknown
}

/**
 * What `jwtAuth` puts on `context.auth`. The object, its `scopes` and its `claims` are frozen:
 * one verified token's result may be shared by every request that presents the same token.
 */
export interface JwtAuth extends AuthContextBase {
	readonly method: 'jwt'
	/** From the tenant claim, validated against the tenant id pattern. */
	readonly tenantId?: string | undefined
	/** `sub` */
	readonly subject: string
	/** `iss`, one of the configured issuers */
	readonly issuer: string
	/** From `scope` (space-separated) or `scp` (array or string). */
	readonly scopes: readonly string[]
	readonly claims: JWTPayload
}

/** The context addition of `jwtAuth`: `context.auth`. */
export type WithJwtAuth = WithAuth<JwtAuth>
