import type { MiddlewareObj } from '@middy/core'
import { annotateTenant, createTickClock, type HttpEventLike } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { createAuth } from './auth-result.js'
import {
	checkAudience,
	checkJti,
	checkRequiredClaims,
	checkTimes,
	readSubject,
	type TimeRules,
} from './claims.js'
import { checkCognitoGroups, checkCognitoToken } from './cognito.js'
import { type CompactJws, maxTokenLength, parseCompactJws } from './compact-jws.js'
import {
	AlgorithmNotAllowedError,
	CriticalHeaderError,
	InsufficientScopeError,
	InvalidClaimError,
	InvalidSignatureError,
	MalformedTokenError,
	MissingClaimError,
	MissingTokenError,
	TokenTooLargeError,
	TypeMismatchError,
	UnknownIssuerError,
	UnknownKeyError,
} from './errors.js'
import { createFetchSiteCheck } from './fetch-site.js'
import { createJwksResolver, type JwksResolver } from './jwks-resolver.js'
import { selectVerifier } from './key-selection.js'
import type { KeySet } from './key-set.js'
import { type IssuerConfig, type JwtAuthOptions, normaliseTyp, resolveOptions } from './options.js'
import { createResponses } from './responses.js'
import { hasScopes, readScopes } from './scopes.js'
import type { SignatureVerifier } from './signature.js'
import { readTenant, type TenantRules } from './tenant.js'
import { createTokenReader } from './token-source.js'
import type { JwtAuth, WithJwtAuth } from './types.js'
import { createVerifiedTokenCache } from './verified-token-cache.js'

interface Issuer {
	readonly config: IssuerConfig
	readonly resolver: JwksResolver
}

interface Header {
	readonly alg: string
	readonly kid: string | undefined
	readonly typ: unknown
}

/**
 * Authenticates requests with a JWT from a configured issuer, verified against the
 * issuer's JWKS, and puts the result on `context.auth`.
 *
 * Failures: 401 for a missing or invalid token (same body and challenge for every reason),
 * 403 for a valid token without the required scopes, groups or tenant, or for a cookie token
 * on a cross-site request that may change state (`cookieFetchSite`), 503 with
 * `Retry-After` when the issuer's JWKS cannot be fetched and no usable keys are cached.
 */
export const jwtAuth = (
	options: JwtAuthOptions,
): MiddlewareObj<HttpEventLike, unknown, Error, Context & WithJwtAuth> => {
	const resolved = resolveOptions(options)
	const now = resolved.now ?? createTickClock()
	const { jwks, tracer, requiredClaims, requiredScopes } = resolved

	const resolvers = new Map<string, JwksResolver>()
	const issuers = new Map<string, Issuer>()
	const allowedAlgorithms = new Set<string>()
	for (const config of resolved.issuers) {
		let resolver = resolvers.get(config.jwksUri)
		if (resolver === undefined) {
			resolver = createJwksResolver({ uri: config.jwksUri, ...jwks, tracer, now })
			resolvers.set(config.jwksUri, resolver)
		}
		issuers.set(config.issuer, { config, resolver })
		for (const algorithm of config.algorithms) allowedAlgorithms.add(algorithm)
	}

	const readToken = createTokenReader(resolved.tokenSource)
	const checkFetchSite =
		resolved.cookieFetchSite === undefined
			? undefined
			: createFetchSiteCheck(resolved.cookieFetchSite)
	const tokenCache =
		resolved.verifiedTokenCacheEntries === false
			? undefined
			: createVerifiedTokenCache(resolved.verifiedTokenCacheEntries, jwks.cacheMaxAgeMs, now)
	const timeRules: TimeRules = {
		toleranceSec: resolved.clockToleranceSec,
		maxTokenAgeSec: resolved.maxTokenAgeSec,
		requireExp: resolved.requireExp,
	}
	const tenantRules: TenantRules = {
		claims: resolved.tenantClaims,
		pattern: resolved.tenantIdPattern,
		required: resolved.tenantRequired,
	}
	const responses = createResponses(
		resolved.realm,
		requiredScopes,
		Math.ceil(jwks.failureBackoffMs / 1000),
	)
	// Started right after the module that created this middleware finishes evaluating: the fetch
	// overlaps the runtime's wait for the first event instead of lengthening module init.
	if (resolved.prefetch)
		setImmediate(() => {
			for (const resolver of resolvers.values()) resolver.prefetch()
		})

	/** Header rules that hold for every issuer; `jku`, `x5u`, `jwk` and `x5c` are never read. */
	const checkHeader = (header: Record<string, unknown>): Header => {
		const { alg, kid } = header
		if (typeof alg !== 'string' || !allowedAlgorithms.has(alg)) throw new AlgorithmNotAllowedError()
		// No JWS extension is implemented, so any `crit` (even an empty one, which RFC 7515 forbids) is refused.
		if (header.crit !== undefined) throw new CriticalHeaderError()
		if (kid !== undefined && typeof kid !== 'string')
			throw new MalformedTokenError('header kid is not a string')
		return { alg, kid, typ: header.typ }
	}

	/**
	 * The token's `iss` picks its issuer from the configured ones only (no token names a URL);
	 * that issuer's `typ` rule then applies.
	 */
	const issuerOf = (claims: Record<string, unknown>, { alg, typ }: Header): Issuer => {
		const { iss } = claims
		if (iss === undefined) throw new MissingClaimError('iss')
		if (typeof iss !== 'string') throw new InvalidClaimError('iss')
		const issuer = issuers.get(iss)
		if (issuer === undefined) throw new UnknownIssuerError()
		if (!issuer.config.algorithms.has(alg)) throw new AlgorithmNotAllowedError()
		const required = issuer.config.typ
		if (required !== undefined && (typeof typ !== 'string' || normaliseTyp(typ) !== required))
			throw new TypeMismatchError()
		return issuer
	}

	const verify = (
		jws: CompactJws,
		{ config, resolver }: Issuer,
		keys: KeySet,
		verifier: SignatureVerifier,
		cacheKey: string | undefined,
		nowMs: number,
	): JwtAuth => {
		if (!verifier(jws.signingInput, jws.signature)) throw new InvalidSignatureError()
		const claims = jws.payload
		const window = checkTimes(claims, timeRules, nowMs / 1000)
		checkAudience(claims, config.audiences)
		checkJti(claims)
		if (config.cognito !== undefined) checkCognitoToken(claims, config.cognito)
		checkRequiredClaims(claims, requiredClaims)
		const subject = readSubject(claims)
		const scopes = readScopes(claims)
		if (config.cognito !== undefined) checkCognitoGroups(claims, config.cognito)
		if (!hasScopes(scopes, requiredScopes)) throw new InsufficientScopeError()
		const tenantId = readTenant(claims, tenantRules)
		const auth = createAuth(claims, subject, config.issuer, scopes, tenantId)
		// A hit is served only while the issuer still uses these keys: once a refreshed JWKS with
		// another document is in use, the token is verified again (its key may have been removed).
		if (cacheKey !== undefined)
			tokenCache?.remember(cacheKey, auth, window, { keys, current: resolver.current }, nowMs)
		return auth
	}

	const verifyAfterFetch = async (
		jws: CompactJws,
		header: Header,
		issuer: Issuer,
		cacheKey: string | undefined,
	): Promise<JwtAuth> => {
		const { resolver } = issuer
		// Fetches started from here on ask the issuer for what it publishes after this token came.
		const fetchesBefore = resolver.fetchesStarted()
		let keys = resolver.current() ?? (await resolver.load())
		let verifier = selectVerifier(keys, header.kid, header.alg)
		if (verifier === undefined) {
			keys = await resolver.refresh()
			verifier = selectVerifier(keys, header.kid, header.alg)
			if (verifier === undefined) throw new UnknownKeyError(keys.fetchNumber > fetchesBefore)
		}
		return verify(jws, issuer, keys, verifier, cacheKey, now())
	}

	/** Synchronous when the token is cached or the issuer's keys are; otherwise a promise. */
	const authenticate = (event: HttpEventLike): JwtAuth | Promise<JwtAuth> => {
		const token = readToken(event)
		if (token === undefined) throw new MissingTokenError()
		// A cookie came with the request whoever made it: a forged request is refused before the
		// cache, the parser or a JWKS fetch spend anything on it.
		checkFetchSite?.(event)
		if (token.length > maxTokenLength) throw new TokenTooLargeError(maxTokenLength)
		const nowMs = now()
		let cacheKey: string | undefined
		if (tokenCache !== undefined) {
			cacheKey = tokenCache.keyOf(token)
			const cached = tokenCache.find(cacheKey, nowMs)
			if (cached !== undefined) return cached
		}
		const jws = parseCompactJws(token)
		const header = checkHeader(jws.header)
		const issuer = issuerOf(jws.payload, header)
		const keys = issuer.resolver.current()
		const verifier = keys === undefined ? undefined : selectVerifier(keys, header.kid, header.alg)
		if (keys === undefined || verifier === undefined)
			return verifyAfterFetch(jws, header, issuer, cacheKey)
		return verify(jws, issuer, keys, verifier, cacheKey, nowMs)
	}

	const accept = (context: Context & WithJwtAuth, auth: JwtAuth): void => {
		context.auth = auth
		if (auth.tenantId !== undefined) annotateTenant(tracer, auth.tenantId)
	}

	return {
		name: 'jwtAuth',
		before(request) {
			let result: JwtAuth | Promise<JwtAuth>
			try {
				result = authenticate(request.event)
			} catch (error) {
				throw responses.toHttpError(error)
			}
			if (!(result instanceof Promise)) return accept(request.context, result)
			return result.then(
				(auth) => accept(request.context, auth),
				(error: unknown) => {
					throw responses.toHttpError(error)
				},
			)
		},
	}
}
