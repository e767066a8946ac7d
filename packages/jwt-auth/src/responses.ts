import { forbidden, serviceUnavailable, unauthorized } from '@tenantry/util'
import {
	ConflictingTenantClaimsError,
	CrossSiteRequestError,
	InsufficientScopeError,
	InvalidTenantError,
	JwksError,
	JwtAuthError,
	MissingGroupError,
	MissingTenantError,
	MissingTokenError,
} from './errors.js'

export interface Responses {
	/** The public error for a failure reason; anything that is not a reason passes through. */
	toHttpError(error: unknown): unknown
}

/**
 * Maps reasons to the answers of RFC 6750: no token gets a bare `Bearer realm` challenge,
 * every other credential failure the same `invalid_token` 401, a valid token that does not
 * grant the request a 403 (`insufficient_scope` for scopes), as does a cookie token on a
 * forged cross-site request (no challenge: another token would not help), and a JWKS that
 * cannot be had a 503 with `Retry-After`. Bodies are the generic status text; the reason is the `cause`.
 */
export const createResponses = (
	realm: string,
	requiredScopes: readonly string[],
	retryAfterSec: number,
): Responses => {
	const missing = `Bearer realm="${realm}"`
	const invalid = `Bearer realm="${realm}", error="invalid_token"`
	const insufficientScope = `Bearer realm="${realm}", error="insufficient_scope", scope="${requiredScopes.join(' ')}"`
	return {
		toHttpError(error) {
			if (!(error instanceof JwtAuthError)) return error
			if (error instanceof JwksError) return serviceUnavailable(retryAfterSec, error)
			if (error instanceof MissingTokenError) return unauthorized(missing, error)
			if (error instanceof InsufficientScopeError) return forbidden(error, insufficientScope)
			if (
				error instanceof CrossSiteRequestError ||
				error instanceof MissingGroupError ||
				error instanceof MissingTenantError ||
				error instanceof InvalidTenantError ||
				error instanceof ConflictingTenantClaimsError
			)
				return forbidden(error)
			return unauthorized(invalid, error)
		},
	}
}
