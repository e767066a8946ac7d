import {
	anchorPattern,
	assertKnownKeys,
	assertOption,
	DEFAULT_TENANT_ID_PATTERN,
	isAsyncFunction,
	isNonNegativeNumber,
	isPlainObject,
	isPositiveInteger,
	isTracerLike,
	longestTimerMs,
	optionError,
	type TracerLike,
	withoutUndefined,
} from '@tenantry/util'
import { allAlgorithms, type JwsAlgorithm, refusal } from './algorithms.js'
import { cognitoIssuer, cognitoRegion, cognitoUpdatedIssuer, isUserPoolId } from './cognito.js'
import { type CookieFetchSite, cookieFetchSites } from './fetch-site.js'
import { packageName } from './package-name.js'
import type { TokenSource } from './token-source.js'

export interface IssuerOptions {
	/** The exact `iss` value tokens of this issuer carry. */
	issuer: string
	/** Accepted `aud` values; `null` explicitly disables the audience check. */
	audience: string | readonly string[] | null
	/** Default `<issuer>/.well-known/jwks.json`. `https:`, or `http:` for loopback hosts. */
	jwksUri?: string | undefined
	/** Overrides the top-level `algorithms` for this issuer. */
	algorithms?: readonly JwsAlgorithm[] | undefined
	/**
	 * Overrides the top-level `typ` for this issuer (one provider signs RFC 9068 `at+jwt`,
	 * another plain `JWT`); `null`: no `typ` check for this issuer.
	 */
	typ?: string | null | undefined
}

export interface CognitoOptions {
	/**
	 * Default: env `COGNITO_USER_POOL_ID`. Tokens of either issuer configuration are accepted
	 * (`cognito-idp.<region>` and the updated `issuer-cognito-idp.<region>`, under
	 * `amazonaws.com.cn` in the China regions), both verified with the regional JWKS.
	 */
	userPoolId?: string | undefined
	/** App client id(s) allowed (`client_id` of access tokens, `aud` of id tokens); `null`: any. */
	clientId: string | readonly string[] | null
	/** Which token type is accepted; `null`: both. */
	tokenUse: 'id' | 'access' | null
	/** The token must be in at least one of these `cognito:groups` (else 403). */
	groups?: string | readonly string[] | undefined
	/**
	 * Fetch the JWKS here instead of the regional
	 * `https://cognito-idp.<region>.<domain>/<pool>/.well-known/jwks.json` (a proxy, a test); used
	 * for both issuers of the pool.
	 */
	jwksUri?: string | undefined
	/**
	 * Overrides the top-level `typ` for this pool; Cognito's tokens carry none, so beside an
	 * issuer that requires `at+jwt`, set `null` here.
	 */
	typ?: string | null | undefined
}

export interface JwksOptions {
	/** How long a fetched JWKS is used without refetching. Default 600,000. */
	cacheMaxAgeMs?: number | undefined
	/** At most one refetch per this period for unknown `kid`s. Default 30,000. */
	cooldownMs?: number | undefined
	/** Limit for the whole fetch, headers and body. Default 3,000. */
	timeoutMs?: number | undefined
	/** Largest JWKS accepted. Default 262,144. */
	maxBytes?: number | undefined
	/** How long an expired JWKS is still used while refreshes fail. Default 3,600,000. */
	staleIfErrorMs?: number | undefined
	/** After a failed fetch, no new fetch for this long; also the `Retry-After` of the 503. Default 1,000. */
	failureBackoffMs?: number | undefined
}

export interface JwtAuthOptions {
	issuers?: IssuerOptions | readonly IssuerOptions[] | undefined
	cognito?: CognitoOptions | readonly CognitoOptions[] | undefined
	/** Default: every supported asymmetric algorithm. `none` and `HS*` are refused. */
	algorithms?: readonly JwsAlgorithm[] | undefined
	/** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 0. */
	clockToleranceSec?: number | undefined
	/** Refuse tokens whose `iat` is older than this (and tokens without `iat`). */
	maxTokenAgeSec?: number | undefined
	/** Default true: tokens without `exp` are refused. */
	requireExp?: boolean | undefined
	/** Claims that must be present (and not null). */
	requiredClaims?: readonly string[] | undefined
	/** Required header `typ`, e.g. `at+jwt` (RFC 9068); `application/` prefix and case ignored. */
	typ?: string | undefined
	/** Scopes (from `scope` or `scp`) the token must carry all of, else 403 `insufficient_scope`. */
	requiredScopes?: readonly string[] | undefined
	/** Claim(s) holding the tenant id; all present must agree. Default `custom:tenant_id`, `tenant_id`. */
	tenantClaim?: string | readonly string[] | undefined
	/** Default true: a token without a tenant claim gets 403. */
	tenantRequired?: boolean | undefined
	/** Tenant ids must match it as a whole. Default `DEFAULT_TENANT_ID_PATTERN`. */
	tenantIdPattern?: RegExp | undefined
	/** Default `Authorization: Bearer <token>`. */
	tokenSource?: TokenSource | undefined
	/**
	 * With `tokenSource: { cookie }`: the widest `Sec-Fetch-Site` a request other than GET, HEAD or
	 * OPTIONS is accepted from (else 403 `jwt_cross_site_request`). `'same-site'` refuses
	 * `cross-site`, `'same-origin'` also `same-site`, `'any'` turns the check off. Default
	 * `'same-site'`; a `TypeError` with any other token source.
	 */
	cookieFetchSite?: CookieFetchSite | undefined
	/** `realm` of the `WWW-Authenticate` challenge. Default `api`. */
	realm?: string | undefined
	jwks?: JwksOptions | undefined
	/**
	 * Start the JWKS fetches at cold start, just after module evaluation, not on the first
	 * request. A prefetch the issuer failed starts `failureBackoffMs` as any fetch; one that failed
	 * within this process (a tracer throwing outside an invocation) leaves none. Default true.
	 */
	prefetch?: boolean | undefined
	/** Cache of verified tokens keyed by their SHA-256; `false` disables. Default `{ maxEntries: 1000 }`. */
	verifiedTokenCache?: { maxEntries?: number | undefined } | false | undefined
	/**
	 * Powertools `Tracer`: a subsegment per JWKS fetch in an invocation (the cold-start prefetch is
	 * not traced), `tenant_id` annotation on success.
	 */
	tracer?: TracerLike | undefined
	/** Clock in milliseconds, for tests. Default `Date.now()` read once per synchronous run. */
	now?: (() => number) | undefined
}

export const defaults = Object.freeze({
	issuers: undefined,
	cognito: undefined,
	algorithms: allAlgorithms,
	clockToleranceSec: 0,
	maxTokenAgeSec: undefined,
	requireExp: true,
	requiredClaims: Object.freeze([]) as readonly string[],
	typ: undefined,
	requiredScopes: Object.freeze([]) as readonly string[],
	tenantClaim: Object.freeze(['custom:tenant_id', 'tenant_id']) as readonly string[],
	tenantRequired: true,
	tenantIdPattern: DEFAULT_TENANT_ID_PATTERN,
	tokenSource: undefined,
	cookieFetchSite: 'same-site' as CookieFetchSite,
	realm: 'api',
	jwks: Object.freeze({
		cacheMaxAgeMs: 600_000,
		cooldownMs: 30_000,
		timeoutMs: 3_000,
		maxBytes: 262_144,
		staleIfErrorMs: 3_600_000,
		failureBackoffMs: 1_000,
	}),
	prefetch: true,
	verifiedTokenCache: Object.freeze({ maxEntries: 1000 }),
	tracer: undefined,
	now: undefined,
})

/** An issuer as the middleware uses it, Cognito or not. */
export interface IssuerConfig {
	readonly issuer: string
	readonly audiences: ReadonlySet<string> | null
	readonly jwksUri: string
	readonly algorithms: ReadonlySet<string>
	/** Required header `typ`, normalised; `undefined`: not checked. */
	readonly typ: string | undefined
	readonly cognito: CognitoConfig | undefined
}

export interface CognitoConfig {
	readonly tokenUse: 'id' | 'access' | null
	readonly clientIds: ReadonlySet<string> | null
	readonly groups: readonly string[] | null
}

export interface ResolvedOptions {
	readonly issuers: readonly IssuerConfig[]
	readonly clockToleranceSec: number
	readonly maxTokenAgeSec: number | undefined
	readonly requireExp: boolean
	readonly requiredClaims: readonly string[]
	readonly requiredScopes: readonly string[]
	readonly tenantClaims: readonly string[]
	readonly tenantRequired: boolean
	readonly tenantIdPattern: RegExp
	readonly tokenSource: TokenSource | undefined
	/** `undefined` when the token is not read from a cookie: nothing to check. */
	readonly cookieFetchSite: CookieFetchSite | undefined
	readonly realm: string
	readonly jwks: Readonly<Required<JwksOptions>>
	readonly prefetch: boolean
	readonly verifiedTokenCacheEntries: number | false
	readonly tracer: TracerLike | undefined
	readonly now: (() => number) | undefined
}

const knownOptions = Object.keys(defaults)
const knownIssuerOptions = ['issuer', 'audience', 'jwksUri', 'algorithms', 'typ']
const knownCognitoOptions = ['userPoolId', 'clientId', 'tokenUse', 'groups', 'jwksUri', 'typ']

const fail = (option: string, problem: string): never => {
	throw optionError(packageName, option, problem)
}
const check: (condition: unknown, option: string, problem: string) => asserts condition = (
	condition,
	option,
	problem,
) => assertOption(condition, packageName, option, problem)

const isNonEmptyString = (value: unknown): value is string =>
	typeof value === 'string' && value.length > 0

/** RFC 9110 token: header and cookie names. */
const httpToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** RFC 6749 scope-token. */
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/
/** A quoted-string body without quotes, backslashes or controls. */
const quotable = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/
const loopbackIPv4 = /^127(?:\.\d{1,3}){3}$/

const isLoopback = (hostname: string): boolean =>
	hostname === 'localhost' || hostname === '[::1]' || loopbackIPv4.test(hostname)

const listOf = (value: unknown, option: string, allowSingle: boolean): readonly unknown[] => {
	if (allowSingle && !Array.isArray(value)) return [value]
	check(Array.isArray(value), option, 'must be an array')
	return value
}

const stringList = (value: unknown, option: string): string[] => {
	const list = listOf(value, option, true)
	check(list.length > 0, option, 'must not be empty')
	return list.map((entry, index) => {
		check(isNonEmptyString(entry), `${option}[${index}]`, 'must be a non-empty string')
		return entry
	})
}

const jwksUriOf = (value: string, option: string): string => {
	let url: URL
	try {
		url = new URL(value)
	} catch {
		return fail(option, 'must be an absolute URL')
	}
	check(
		url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname)),
		option,
		'must use https: (http: only for loopback hosts)',
	)
	return url.href
}

const algorithmsOf = (value: unknown, option: string): ReadonlySet<string> => {
	const list = listOf(value, option, false)
	check(list.length > 0, option, 'must not be empty')
	for (const algorithm of list) {
		const problem = refusal(algorithm)
		if (problem !== undefined) fail(option, problem)
	}
	return new Set(list as string[])
}

const resolveIssuer = (
	value: unknown,
	option: string,
	algorithms: ReadonlySet<string>,
	typ: string | undefined,
): IssuerConfig => {
	check(isPlainObject(value), option, 'must be an object')
	assertKnownKeys(packageName, option, value, knownIssuerOptions)
	const { issuer, audience, jwksUri } = value
	check(isNonEmptyString(issuer), `${option}.issuer`, 'must be a non-empty string')
	check(
		audience !== undefined,
		`${option}.audience`,
		'must be given (a string, an array of strings, or null to disable the audience check)',
	)
	const audiences = audience === null ? null : new Set(stringList(audience, `${option}.audience`))
	let uri: string
	if (jwksUri === undefined) {
		uri = jwksUriOf(`${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`, `${option}.issuer`)
	} else {
		check(isNonEmptyString(jwksUri), `${option}.jwksUri`, 'must be a non-empty string')
		uri = jwksUriOf(jwksUri, `${option}.jwksUri`)
	}
	return {
		issuer,
		audiences,
		jwksUri: uri,
		algorithms:
			value.algorithms === undefined
				? algorithms
				: algorithmsOf(value.algorithms, `${option}.algorithms`),
		typ: value.typ === undefined ? typ : typOf(value.typ, `${option}.typ`),
		cognito: undefined,
	}
}

/** A user pool's two issuers (original and updated issuer configuration), sharing its JWKS. */
const resolveCognito = (
	value: unknown,
	option: string,
	algorithms: ReadonlySet<string>,
	typ: string | undefined,
): readonly IssuerConfig[] => {
	check(isPlainObject(value), option, 'must be an object')
	assertKnownKeys(packageName, option, value, knownCognitoOptions)
	const userPoolId = value.userPoolId ?? process.env.COGNITO_USER_POOL_ID
	check(
		isUserPoolId(userPoolId),
		`${option}.userPoolId`,
		'must be a user pool id like eu-west-1_AbC123 (or set COGNITO_USER_POOL_ID)',
	)
	const region = cognitoRegion(userPoolId)
	check(
		region !== undefined,
		`${option}.userPoolId`,
		'has no region prefix and AWS_REGION is not set',
	)
	const { clientId, tokenUse, groups, jwksUri } = value
	check(
		clientId !== undefined,
		`${option}.clientId`,
		'must be given (a string, an array of strings, or null for any app client)',
	)
	check(
		tokenUse === 'id' || tokenUse === 'access' || tokenUse === null,
		`${option}.tokenUse`,
		"must be 'id', 'access' or null",
	)
	const issuer = cognitoIssuer(region, userPoolId)
	if (jwksUri !== undefined)
		check(isNonEmptyString(jwksUri), `${option}.jwksUri`, 'must be a non-empty string')
	const config: IssuerConfig = {
		issuer,
		audiences: null,
		jwksUri: jwksUriOf(jwksUri ?? `${issuer}/.well-known/jwks.json`, `${option}.jwksUri`),
		algorithms,
		typ: value.typ === undefined ? typ : typOf(value.typ, `${option}.typ`),
		cognito: {
			tokenUse,
			clientIds: clientId === null ? null : new Set(stringList(clientId, `${option}.clientId`)),
			groups: groups === undefined ? null : stringList(groups, `${option}.groups`),
		},
	}
	// Whichever issuer configuration the pool has, its keys are one JWKS, fetched from the
	// regional endpoint every pool has: the updated issuer's host answers 403 for pools that
	// kept the original one.
	return [config, { ...config, issuer: cognitoUpdatedIssuer(region, userPoolId) }]
}

const maxClockToleranceSec = 300

/** `typ` compared as RFC 7515 section 4.1.9 says: without case and without `application/`. */
export const normaliseTyp = (typ: string): string => typ.toLowerCase().replace(/^application\//, '')

/** A `typ` option: a non-empty string, normalised, or `null` for no check. */
const typOf = (value: unknown, option: string): string | undefined => {
	if (value === null) return undefined
	check(isNonEmptyString(value), option, 'must be a non-empty string, or null for no typ check')
	return normaliseTyp(value)
}

const resolveTokenSource = (value: unknown): TokenSource | undefined => {
	check(
		!isAsyncFunction(value),
		'tokenSource',
		'must return its answer synchronously, not a promise',
	)
	if (value === undefined || typeof value === 'function') return value as TokenSource | undefined
	check(isPlainObject(value), 'tokenSource', 'must be { header }, { cookie } or a function')
	const keys = Object.keys(value)
	check(
		keys.length === 1 && (keys[0] === 'header' || keys[0] === 'cookie'),
		'tokenSource',
		'must be { header }, { cookie } or a function',
	)
	const name = value.header ?? value.cookie
	check(
		isNonEmptyString(name) && httpToken.test(name),
		`tokenSource.${keys[0]}`,
		'must be a valid header or cookie name',
	)
	return value as TokenSource
}

/** Only a `{ cookie }` source is ambient; a function's reads are its own to defend. */
const resolveCookieFetchSite = (
	value: unknown,
	source: TokenSource | undefined,
): CookieFetchSite | undefined => {
	if (value !== undefined)
		check(
			cookieFetchSites.includes(value as CookieFetchSite),
			'cookieFetchSite',
			"must be 'same-site', 'same-origin' or 'any'",
		)
	const fromCookie = typeof source === 'object' && 'cookie' in source
	if (!fromCookie) {
		check(value === undefined, 'cookieFetchSite', 'applies only to tokenSource: { cookie }')
		return undefined
	}
	return (value as CookieFetchSite | undefined) ?? defaults.cookieFetchSite
}

const resolveJwks = (value: unknown): Readonly<Required<JwksOptions>> => {
	if (value === undefined) return defaults.jwks
	check(isPlainObject(value), 'jwks', 'must be an object')
	assertKnownKeys(packageName, 'jwks', value, Object.keys(defaults.jwks))
	const resolved = { ...defaults.jwks, ...withoutUndefined(value) }
	for (const [name, number] of Object.entries(resolved)) {
		const allowZero = name === 'staleIfErrorMs' || name === 'cooldownMs'
		check(
			allowZero ? isNonNegativeNumber(number) : isPositiveInteger(number),
			`jwks.${name}`,
			allowZero ? 'must be a non-negative number' : 'must be a positive integer',
		)
	}
	// A timer: `setTimeout` turns a longer delay into 1 ms, and every fetch would time out.
	check(
		resolved.timeoutMs <= longestTimerMs,
		'jwks.timeoutMs',
		`must be a positive integer number of milliseconds, at most ${longestTimerMs}`,
	)
	return resolved
}

const resolveTokenCache = (value: unknown): number | false => {
	if (value === false) return false
	if (value === undefined) return defaults.verifiedTokenCache.maxEntries
	check(isPlainObject(value), 'verifiedTokenCache', 'must be { maxEntries } or false')
	assertKnownKeys(packageName, 'verifiedTokenCache', value, ['maxEntries'])
	const maxEntries = value.maxEntries ?? defaults.verifiedTokenCache.maxEntries
	check(
		isPositiveInteger(maxEntries),
		'verifiedTokenCache.maxEntries',
		'must be a positive integer',
	)
	return maxEntries
}

const optionalBoolean = (value: unknown, option: string, fallback: boolean): boolean => {
	if (value === undefined) return fallback
	check(typeof value === 'boolean', option, 'must be a boolean')
	return value
}

/** Validates every option and resolves defaults and env fallbacks; throws a `TypeError` naming the option. */
export const resolveOptions = (options: JwtAuthOptions): ResolvedOptions => {
	check(isPlainObject(options), 'options', 'must be an object')
	const raw = options as unknown as Record<string, unknown>
	assertKnownKeys(packageName, '', raw, knownOptions)

	const typ = raw.typ === undefined ? undefined : typOf(raw.typ, 'typ')
	const algorithms =
		raw.algorithms === undefined
			? new Set<string>(defaults.algorithms)
			: algorithmsOf(raw.algorithms, 'algorithms')
	const issuers = [
		...(raw.issuers === undefined ? [] : listOf(raw.issuers, 'issuers', true)).map((value, index) =>
			resolveIssuer(
				value,
				Array.isArray(raw.issuers) ? `issuers[${index}]` : 'issuers',
				algorithms,
				typ,
			),
		),
		...(raw.cognito === undefined ? [] : listOf(raw.cognito, 'cognito', true)).flatMap(
			(value, index) =>
				resolveCognito(
					value,
					Array.isArray(raw.cognito) ? `cognito[${index}]` : 'cognito',
					algorithms,
					typ,
				),
		),
	]
	check(issuers.length > 0, 'issuers', 'or cognito must configure at least one issuer')
	const seen = new Set<string>()
	for (const { issuer } of issuers) {
		check(!seen.has(issuer), 'issuers', `configures the issuer ${issuer} twice`)
		seen.add(issuer)
	}

	const { clockToleranceSec = defaults.clockToleranceSec, maxTokenAgeSec, realm } = raw
	// Seconds: a value meant as milliseconds (5000) would accept tokens expired an hour ago.
	check(
		isNonNegativeNumber(clockToleranceSec) && clockToleranceSec <= maxClockToleranceSec,
		'clockToleranceSec',
		`must be a number of seconds from 0 to ${maxClockToleranceSec}`,
	)
	if (maxTokenAgeSec !== undefined)
		check(
			isNonNegativeNumber(maxTokenAgeSec) && maxTokenAgeSec > 0,
			'maxTokenAgeSec',
			'must be a positive number',
		)
	const resolvedRealm = realm ?? defaults.realm
	check(
		typeof resolvedRealm === 'string' && quotable.test(resolvedRealm),
		'realm',
		'must be a string without quotes, backslashes or control characters',
	)
	const pattern = raw.tenantIdPattern ?? defaults.tenantIdPattern
	check(pattern instanceof RegExp, 'tenantIdPattern', 'must be a RegExp')
	const tracer = raw.tracer
	if (tracer !== undefined) check(isTracerLike(tracer), 'tracer', 'must be a Powertools Tracer')
	if (raw.now !== undefined) check(typeof raw.now === 'function', 'now', 'must be a function')

	return {
		issuers,
		clockToleranceSec,
		maxTokenAgeSec: maxTokenAgeSec as number | undefined,
		requireExp: optionalBoolean(raw.requireExp, 'requireExp', defaults.requireExp),
		requiredClaims:
			raw.requiredClaims === undefined
				? defaults.requiredClaims
				: listOf(raw.requiredClaims, 'requiredClaims', false).map((claim, index) => {
						check(isNonEmptyString(claim), `requiredClaims[${index}]`, 'must be a non-empty string')
						return claim
					}),
		requiredScopes:
			raw.requiredScopes === undefined
				? defaults.requiredScopes
				: listOf(raw.requiredScopes, 'requiredScopes', false).map((scope, index) => {
						check(
							typeof scope === 'string' && scopeToken.test(scope),
							`requiredScopes[${index}]`,
							'must be an OAuth scope token',
						)
						return scope
					}),
		tenantClaims:
			raw.tenantClaim === undefined
				? defaults.tenantClaim
				: stringList(raw.tenantClaim, 'tenantClaim'),
		tenantRequired: optionalBoolean(raw.tenantRequired, 'tenantRequired', defaults.tenantRequired),
		tenantIdPattern: anchorPattern(pattern),
		tokenSource: resolveTokenSource(raw.tokenSource),
		// After tokenSource, which is valid by then.
		cookieFetchSite: resolveCookieFetchSite(raw.cookieFetchSite, raw.tokenSource as TokenSource),
		realm: resolvedRealm,
		jwks: resolveJwks(raw.jwks),
		prefetch: optionalBoolean(raw.prefetch, 'prefetch', defaults.prefetch),
		verifiedTokenCacheEntries: resolveTokenCache(raw.verifiedTokenCache),
		tracer: tracer as TracerLike | undefined,
		now: raw.now as (() => number) | undefined,
	}
}
