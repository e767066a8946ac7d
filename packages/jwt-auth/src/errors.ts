import { TenantryError } from '@tenantry/util'
import { packageName } from './package-name.js'

/**
 * The reasons behind a rejection, one class per failure, each with a stable `code`. They
 * travel as the `cause` of the public 401/403/503 and reach the logs, never the client.
 * Messages name what failed, never a token, a signature or a value taken from a token.
 */
export abstract class JwtAuthError extends TenantryError {
	constructor(code: string, message: string, options?: { cause?: unknown }) {
		super(packageName, code, message, options)
	}
}

// 401, no token: the challenge carries no error code (RFC 6750 section 3.1).

export class MissingTokenError extends JwtAuthError {
	constructor() {
		super('jwt_missing', 'no bearer token in the request')
	}
}

// 401 invalid_token: the token (or where it came from) cannot be trusted.

export class TokenSourceError extends JwtAuthError {
	constructor(cause?: unknown) {
		super('jwt_token_source', 'the tokenSource function failed or returned a non-string', { cause })
	}
}

export class MalformedTokenError extends JwtAuthError {
	constructor(problem: string) {
		super('jwt_malformed', `malformed token: ${problem}`)
	}
}

export class TokenTooLargeError extends JwtAuthError {
	constructor(limit: number) {
		super('jwt_too_large', `token longer than ${limit} characters`)
	}
}

export class AlgorithmNotAllowedError extends JwtAuthError {
	constructor() {
		super('jwt_alg_not_allowed', 'header alg is not in the allowed algorithms')
	}
}

export class CriticalHeaderError extends JwtAuthError {
	constructor() {
		super('jwt_crit_unsupported', 'header crit lists extensions this verifier does not implement')
	}
}

export class TypeMismatchError extends JwtAuthError {
	constructor() {
		super('jwt_typ_mismatch', 'header typ is not the required type')
	}
}

export class UnknownIssuerError extends JwtAuthError {
	constructor() {
		super('jwt_unknown_issuer', 'iss is not one of the configured issuers')
	}
}

export class UnknownKeyError extends JwtAuthError {
	/**
	 * @param refetched whether the JWKS was fetched for this token: `true`, the key is absent from
	 * a JWKS requested after the token arrived; `false`, a refetch was not due yet
	 * (`jwks.cooldownMs`) or the token joined an earlier one, so the key may have been rotated in
	 * since.
	 */
	constructor(readonly refetched: boolean) {
		super('jwt_unknown_kid', 'no key in the issuer JWKS matches the token kid')
	}
}

export class AmbiguousKeyError extends JwtAuthError {
	constructor() {
		super('jwt_ambiguous_key', 'token has no kid and several JWKS keys could verify it')
	}
}

export class KeyAlgorithmMismatchError extends JwtAuthError {
	constructor() {
		super('jwt_key_alg_mismatch', "header alg does not fit the key's kty, crv or alg")
	}
}

export class RejectedKeyError extends JwtAuthError {
	constructor(why: string) {
		super('jwt_key_rejected', `the JWKS key named by kid was refused at load: ${why}`)
	}
}

export class InvalidSignatureError extends JwtAuthError {
	constructor() {
		super('jwt_signature_invalid', 'signature verification failed')
	}
}

export class MissingClaimError extends JwtAuthError {
	readonly claim: string
	constructor(claim: string) {
		super('jwt_claim_missing', `required claim '${claim}' is missing`)
		this.claim = claim
	}
}

export class InvalidClaimError extends JwtAuthError {
	readonly claim: string
	constructor(claim: string) {
		super('jwt_claim_invalid', `claim '${claim}' has the wrong type`)
		this.claim = claim
	}
}

export class TokenExpiredError extends JwtAuthError {
	constructor() {
		super('jwt_expired', 'token expired (exp)')
	}
}

export class TokenNotYetValidError extends JwtAuthError {
	constructor() {
		super('jwt_not_yet_valid', 'token not valid yet (nbf)')
	}
}

export class IssuedInFutureError extends JwtAuthError {
	constructor() {
		super('jwt_iat_future', 'token issued in the future (iat) beyond the clock tolerance')
	}
}

export class TokenTooOldError extends JwtAuthError {
	constructor() {
		super('jwt_too_old', 'token older than maxTokenAgeSec (iat)')
	}
}

export class AudienceMismatchError extends JwtAuthError {
	constructor() {
		super('jwt_audience_mismatch', 'aud does not name a configured audience')
	}
}

export class TokenUseMismatchError extends JwtAuthError {
	constructor() {
		super('jwt_token_use_mismatch', 'Cognito token_use is not the required one')
	}
}

export class ClientIdMismatchError extends JwtAuthError {
	constructor() {
		super(
			'jwt_client_mismatch',
			'Cognito client_id (access) or aud (id) is not a configured client',
		)
	}
}

// 403: a request the token may not be used for, or a valid token that does not grant it.

export class CrossSiteRequestError extends JwtAuthError {
	constructor() {
		super(
			'jwt_cross_site_request',
			'a request that is not GET, HEAD or OPTIONS came from another site (Sec-Fetch-Site) with the token in a cookie',
		)
	}
}

export class InsufficientScopeError extends JwtAuthError {
	constructor() {
		super('jwt_insufficient_scope', 'token lacks a required scope')
	}
}

export class MissingGroupError extends JwtAuthError {
	constructor() {
		super('jwt_group_missing', 'token is in none of the required Cognito groups')
	}
}

export class MissingTenantError extends JwtAuthError {
	constructor() {
		super('jwt_tenant_missing', 'token carries no tenant claim')
	}
}

export class InvalidTenantError extends JwtAuthError {
	constructor() {
		super('jwt_tenant_invalid', 'tenant claim does not match the tenant id pattern')
	}
}

export class ConflictingTenantClaimsError extends JwtAuthError {
	constructor(claims: readonly string[]) {
		super('jwt_tenant_conflict', `tenant claims ${claims.join(', ')} name different tenants`)
	}
}

// 503: the issuer's JWKS could not be had, so nothing can be verified.

export abstract class JwksError extends JwtAuthError {
	/**
	 * The JWKS that failed, without its query (a provider may take a key there): with several
	 * issuers it tells the on-call which provider is down. Set by the issuer's JWKS cache, the one
	 * place that knows it for every failure, the parsing of the document's keys included.
	 */
	jwksUri: string | undefined = undefined
}

export class JwksTimeoutError extends JwksError {
	constructor(timeoutMs: number, cause?: unknown) {
		super('jwks_timeout', `JWKS not received within ${timeoutMs} ms`, { cause })
	}
}

export class JwksUnreachableError extends JwksError {
	constructor(cause?: unknown) {
		super('jwks_unreachable', 'JWKS request failed', { cause })
	}
}

export class JwksHttpStatusError extends JwksError {
	readonly status: number
	constructor(status: number) {
		super('jwks_http_status', `JWKS answered HTTP ${status}`)
		this.status = status
	}
}

export class JwksTooLargeError extends JwksError {
	constructor(maxBytes: number) {
		super('jwks_too_large', `JWKS larger than ${maxBytes} bytes`)
	}
}

export class JwksInvalidError extends JwksError {
	constructor(problem: string, cause?: unknown) {
		super('jwks_invalid', `not a JWKS: ${problem}`, { cause })
	}
}
