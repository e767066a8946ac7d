import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import {
	anchorPattern,
	assertKnownKeys,
	assertOption,
	DEFAULT_TENANT_ID_PATTERN,
	getHeader,
	type HttpEventLike,
	isAsyncFunction,
	isNonNegativeNumber,
	isPlainObject,
	isPositiveInteger,
	isRetryAfterSec,
	isTracerLike,
	maxRetryAfterSec,
	sdkClientProblem,
	type TracerLike,
	withoutUndefined,
} from '@tenantry/util'
import { packageName } from './errors.js'
import type { ReplayStore } from './replay-store.js'
import { type CustomScheme, customScheme } from './schemes/custom.js'
import type { Scheme } from './schemes/scheme.js'
import { standardWebhooksScheme } from './schemes/standard-webhooks.js'
import { tenantryScheme } from './schemes/tenantry.js'
import type { SecretFunction } from './secret-source.js'

export type SchemeName = 'tenantry' | 'standard-webhooks'

/** Header names, matched case-insensitively. Which apply depends on the scheme. */
export interface HmacAuthHeaders {
	/** Every scheme, unless `tenantIdFrom` is given. Default `x-tenant-id`. */
	tenantId?: string | undefined
	/** `tenantry`: default `x-timestamp`; `standard-webhooks`: default `webhook-timestamp`. */
	timestamp?: string | undefined
	/** `tenantry`: default `x-signature`; `standard-webhooks`: default `webhook-signature`. */
	signature?: string | undefined
	/** `standard-webhooks` only. Default `webhook-id`. */
	id?: string | undefined
}

/** Per-tenant secrets in AWS Secrets Manager, SecretId `${prefix}/${tenantId}`, JSON SecretString. */
export interface SecretsManagerSecrets {
	/** Default: `process.env.SECRET_PREFIX`, read at factory time; one of them is required. */
	prefix?: string | undefined
	/** JSON field of the current secret. Default `shared_secret`. */
	field?: string | undefined
	/**
	 * JSON field of the previous secret during a rotation. Default `previous_shared_secret`.
	 * Present but empty (`null` or `""`): there is no previous secret, and `AWSPREVIOUS` is not
	 * tried either (a revoked secret stops verifying at once).
	 */
	previousField?: string | undefined
	/**
	 * How long after the current version was created (`CreatedDate`) the `AWSPREVIOUS` version
	 * still verifies, when the JSON has no previous field: senders' time to switch. A replaced
	 * secret never verifies after it. Default 86,400,000 (a day); 0: never.
	 */
	previousVersionGraceMs?: number | undefined
	/** Default: a client built at factory time with 1 s connect/request timeouts and 2 attempts. */
	client?: SecretsManagerClient | undefined
}

export interface HmacCacheOptions {
	/** How long a tenant's secret is used without refetching. Default 300,000 (5 min). */
	ttlMs?: number | undefined
	/** How much longer it is used when Secrets Manager fails. Default 3,600,000 (1 h). */
	staleIfErrorMs?: number | undefined
	/** Tenants kept per container, least recently used dropped first. Default 1,000. */
	maxEntries?: number | undefined
	/** After a mismatch, a secret cached longer than this is refetched once before rejecting. Default 5,000. */
	refetchGraceMs?: number | undefined
	/**
	 * After a failed fetch, how long requests for that tenant get the cached secret (or a fast
	 * 503) without another fetch, instead of each waiting on Secrets Manager. Default 1,000.
	 */
	failureBackoffMs?: number | undefined
}

export interface HmacAuthOptions {
	/** Default `tenantry` (`x-tenant-id`, `x-timestamp`, `x-signature`). */
	scheme?: SchemeName | CustomScheme | undefined
	headers?: HmacAuthHeaders | undefined
	/** Secrets Manager layout (default) or your own lookup. */
	secrets?: SecretsManagerSecrets | SecretFunction | undefined
	cache?: HmacCacheOptions | undefined
	/** Accepted clock difference in each direction. Default 300. */
	toleranceSec?: number | undefined
	/** Checked (anchored) before the id is used anywhere. Default `/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/`. */
	tenantIdPattern?: RegExp | undefined
	/** Where the tenant id comes from instead of the tenant header, e.g. a path parameter. */
	tenantIdFrom?: ((event: HttpEventLike) => string | undefined) | undefined
	/** Larger bodies get 413 before anything is hashed. Default 1,048,576. */
	maxBodyBytes?: number | undefined
	/** Rejects a second delivery of a request in any container, e.g. `dynamoReplayStore(…)`. */
	replayStore?: ReplayStore | undefined
	/**
	 * How long the replay store remembers a request whose scheme carries no timestamp (a
	 * timestamped one is remembered while its timestamp is accepted). Default 604,800 (7 days).
	 */
	replayRetentionSec?: number | undefined
	/**
	 * Release a request's replay record when it is then answered 5xx (thrown or returned), so the
	 * sender's identical retry is processed. Only for idempotent handlers: a side effect made
	 * before the failure happens again on the retry, and on every replay of a request that fails
	 * after it. Needs a store with `release`. Default `false`.
	 */
	releaseReplayOnServerError?: boolean | undefined
	/** Powertools tracer: a subsegment per secret fetch, the `tenant_id` annotation on success. */
	tracer?: TracerLike | undefined
	/** `realm` of the `WWW-Authenticate` challenge. Default `api`. */
	realm?: string | undefined
	/** `Retry-After` of a 503 when Secrets Manager or the replay store fails. Default 5. */
	retryAfterSec?: number | undefined
	/** Clock in epoch milliseconds, for tests. Default `Date.now`. */
	now?: (() => number) | undefined
}

const defaultHeaders = {
	tenantry: { tenantId: 'x-tenant-id', timestamp: 'x-timestamp', signature: 'x-signature' },
	'standard-webhooks': {
		tenantId: 'x-tenant-id',
		id: 'webhook-id',
		timestamp: 'webhook-timestamp',
		signature: 'webhook-signature',
	},
	custom: { tenantId: 'x-tenant-id' },
} as const

/** Every option and its default. */
export const defaults = {
	scheme: 'tenantry',
	headers: defaultHeaders,
	secrets: {
		prefix: undefined,
		field: 'shared_secret',
		previousField: 'previous_shared_secret',
		previousVersionGraceMs: 86_400_000,
		client: undefined,
	},
	cache: {
		ttlMs: 300_000,
		staleIfErrorMs: 3_600_000,
		maxEntries: 1_000,
		refetchGraceMs: 5_000,
		failureBackoffMs: 1_000,
	},
	toleranceSec: 300,
	tenantIdPattern: DEFAULT_TENANT_ID_PATTERN,
	tenantIdFrom: undefined,
	maxBodyBytes: 1_048_576,
	replayStore: undefined,
	replayRetentionSec: 604_800,
	releaseReplayOnServerError: false,
	tracer: undefined,
	realm: 'api',
	retryAfterSec: 5,
	now: undefined,
} as const

/** The Secrets Manager client limits: within Lambda's default 3 s timeout even when both attempts time out. */
export const defaultClientConfig = {
	maxAttempts: 2,
	requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_000, throwOnRequestTimeout: true },
} as const

export type ResolvedSecrets =
	| { kind: 'function'; load: SecretFunction }
	| {
			kind: 'secrets-manager'
			prefix: string
			field: string
			previousField: string
			previousVersionGraceMs: number
			client: SecretsManagerClient | undefined
	  }

export interface ResolvedOptions {
	scheme: Scheme
	tenantIdFrom: (event: HttpEventLike) => string | undefined
	secrets: ResolvedSecrets
	cache: Required<HmacCacheOptions>
	toleranceMs: number
	tenantIdPattern: RegExp
	maxBodyBytes: number
	replayStore: ReplayStore | undefined
	replayRetentionMs: number
	releaseReplayOnServerError: boolean
	tracer: TracerLike | undefined
	retryAfterSec: number
	now: (() => number) | undefined
}

const knownOptions = [
	'scheme',
	'headers',
	'secrets',
	'cache',
	'toleranceSec',
	'tenantIdPattern',
	'tenantIdFrom',
	'maxBodyBytes',
	'replayStore',
	'replayRetentionSec',
	'releaseReplayOnServerError',
	'tracer',
	'realm',
	'retryAfterSec',
	'now',
]
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/
const secretName = /^[A-Za-z0-9/_+=.@-]{1,400}$/
const realmText = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{0,128}$/

const check: (condition: unknown, option: string, problem: string) => asserts condition = (
	condition,
	option,
	problem,
) => assertOption(condition, packageName, option, problem)

/** Like `check`, without narrowing: for options whose declared type is already the right one. */
const ensure = (condition: boolean, option: string, problem: string): void =>
	assertOption(condition, packageName, option, problem)

const isFunction = (value: unknown): boolean => typeof value === 'function'

const resolveCustomScheme = (scheme: CustomScheme): CustomScheme => {
	check(isPlainObject(scheme), 'scheme', "must be 'tenantry', 'standard-webhooks' or an object")
	assertKnownKeys(packageName, 'scheme', scheme as unknown as Record<string, unknown>, [
		'canonicalize',
		'encoding',
		'algorithm',
		'secretEncoding',
		'requireTimestamp',
		'challenge',
	])
	check(isFunction(scheme.canonicalize), 'scheme.canonicalize', 'must be a function')
	check(
		!isAsyncFunction(scheme.canonicalize),
		'scheme.canonicalize',
		'must return its answer synchronously, not a promise',
	)
	check(
		['hex', 'base64', 'base64url'].includes(scheme.encoding),
		'scheme.encoding',
		"must be 'hex', 'base64' or 'base64url'",
	)
	check(
		scheme.algorithm === undefined || ['sha256', 'sha512'].includes(scheme.algorithm),
		'scheme.algorithm',
		"must be 'sha256' or 'sha512'",
	)
	check(
		scheme.secretEncoding === undefined || ['utf8', 'whsec'].includes(scheme.secretEncoding),
		'scheme.secretEncoding',
		"must be 'utf8' or 'whsec'",
	)
	check(
		scheme.requireTimestamp === undefined || typeof scheme.requireTimestamp === 'boolean',
		'scheme.requireTimestamp',
		'must be a boolean',
	)
	check(
		scheme.challenge === undefined ||
			(typeof scheme.challenge === 'string' && /^[\x20-\x7e]{1,256}$/.test(scheme.challenge)),
		'scheme.challenge',
		'must be a printable ASCII string',
	)
	return scheme
}

const resolveHeaders = (
	schemeName: SchemeName | 'custom',
	headers: unknown,
	tenantFromHeader: boolean,
): Record<string, string> => {
	const base: Record<string, string> = { ...defaultHeaders[schemeName] }
	if (headers === undefined) return base
	check(isPlainObject(headers), 'headers', 'must be an object')
	// `undefined` is not set (as below), even for a header this scheme does not have.
	assertKnownKeys(packageName, 'headers', withoutUndefined(headers), Object.keys(base))
	for (const [key, value] of Object.entries(headers)) {
		if (value === undefined) continue
		check(
			typeof value === 'string' && headerName.test(value),
			`headers.${key}`,
			'must be an HTTP header name',
		)
		base[key] = value.toLowerCase()
	}
	// One header cannot carry two of these: every request would fail its checks (a 401).
	const used = Object.entries(base).filter(([key]) => tenantFromHeader || key !== 'tenantId')
	for (const key of Object.keys(headers)) {
		if (!used.some(([name]) => name === key)) continue
		const other = used.find(([name, value]) => name !== key && value === base[key])
		check(other === undefined, `headers.${key}`, `names the same header as headers.${other?.[0]}`)
	}
	return base
}

const resolveSecrets = (secrets: unknown): ResolvedSecrets => {
	if (isFunction(secrets)) return { kind: 'function', load: secrets as SecretFunction }
	const given = secrets ?? {}
	check(isPlainObject(given), 'secrets', 'must be an object or a function')
	assertKnownKeys(packageName, 'secrets', given, Object.keys(defaults.secrets))
	const prefix = given.prefix ?? process.env.SECRET_PREFIX
	check(
		prefix !== undefined && prefix !== '',
		'secrets.prefix',
		'is required: pass it or set SECRET_PREFIX (or pass a secrets function)',
	)
	check(
		typeof prefix === 'string' && secretName.test(prefix) && !prefix.endsWith('/'),
		'secrets.prefix',
		'must be a Secrets Manager name without a trailing /',
	)
	const field = given.field ?? defaults.secrets.field
	const previousField = given.previousField ?? defaults.secrets.previousField
	check(typeof field === 'string' && field !== '', 'secrets.field', 'must be a non-empty string')
	check(
		typeof previousField === 'string' && previousField !== '' && previousField !== field,
		'secrets.previousField',
		'must be a non-empty string other than secrets.field',
	)
	const previousVersionGraceMs =
		given.previousVersionGraceMs ?? defaults.secrets.previousVersionGraceMs
	check(
		isNonNegativeNumber(previousVersionGraceMs),
		'secrets.previousVersionGraceMs',
		'must be a non-negative number of milliseconds',
	)
	const client = given.client
	const clientProblem =
		client === undefined
			? undefined
			: sdkClientProblem(client, 'a SecretsManagerClient', 'Secrets Manager')
	check(clientProblem === undefined, 'secrets.client', clientProblem ?? '')
	return {
		kind: 'secrets-manager',
		prefix,
		field,
		previousField,
		previousVersionGraceMs,
		client: client as SecretsManagerClient | undefined,
	}
}

const resolveCache = (cache: unknown): Required<HmacCacheOptions> => {
	const given = cache ?? {}
	check(isPlainObject(given), 'cache', 'must be an object')
	assertKnownKeys(packageName, 'cache', given, Object.keys(defaults.cache))
	const resolved = { ...defaults.cache, ...withoutUndefined(given as HmacCacheOptions) }
	check(
		isNonNegativeNumber(resolved.ttlMs) && resolved.ttlMs > 0,
		'cache.ttlMs',
		'must be a positive number of milliseconds',
	)
	check(
		isNonNegativeNumber(resolved.staleIfErrorMs),
		'cache.staleIfErrorMs',
		'must be a non-negative number of milliseconds',
	)
	check(isPositiveInteger(resolved.maxEntries), 'cache.maxEntries', 'must be a positive integer')
	check(
		isNonNegativeNumber(resolved.refetchGraceMs) && resolved.refetchGraceMs > 0,
		'cache.refetchGraceMs',
		'must be a positive number of milliseconds',
	)
	check(
		isNonNegativeNumber(resolved.failureBackoffMs),
		'cache.failureBackoffMs',
		'must be a non-negative number of milliseconds',
	)
	return resolved
}

export const resolveOptions = (options: HmacAuthOptions): ResolvedOptions => {
	ensure(isPlainObject(options), 'options', 'must be an object')
	assertKnownKeys(packageName, '', options as unknown as Record<string, unknown>, knownOptions)
	const realm = options.realm ?? defaults.realm
	check(
		typeof realm === 'string' && realmText.test(realm),
		'realm',
		'must be printable ASCII without quotes or backslashes',
	)
	const given: unknown = options.scheme ?? defaults.scheme
	let schemeName: SchemeName | 'custom' = 'custom'
	if (typeof given === 'string') {
		check(
			given === 'tenantry' || given === 'standard-webhooks',
			'scheme',
			"must be 'tenantry', 'standard-webhooks' or a custom scheme object",
		)
		schemeName = given
	}
	const headers = resolveHeaders(schemeName, options.headers, options.tenantIdFrom === undefined)
	const scheme =
		schemeName === 'tenantry'
			? tenantryScheme(
					{ timestamp: `${headers.timestamp}`, signature: `${headers.signature}` },
					realm,
				)
			: schemeName === 'standard-webhooks'
				? standardWebhooksScheme(
						{
							id: `${headers.id}`,
							timestamp: `${headers.timestamp}`,
							signature: `${headers.signature}`,
						},
						realm,
					)
				: customScheme(resolveCustomScheme(given as CustomScheme), realm)

	const toleranceSec = options.toleranceSec ?? defaults.toleranceSec
	check(
		isNonNegativeNumber(toleranceSec) && toleranceSec > 0 && toleranceSec <= 86_400,
		'toleranceSec',
		'must be a positive number of seconds, at most 86,400',
	)
	const pattern = options.tenantIdPattern ?? defaults.tenantIdPattern
	check(pattern instanceof RegExp, 'tenantIdPattern', 'must be a RegExp')
	const tenantIdFrom = options.tenantIdFrom
	ensure(
		tenantIdFrom === undefined || isFunction(tenantIdFrom),
		'tenantIdFrom',
		'must be a function',
	)
	ensure(
		!isAsyncFunction(tenantIdFrom),
		'tenantIdFrom',
		'must return its answer synchronously, not a promise',
	)
	const maxBodyBytes = options.maxBodyBytes ?? defaults.maxBodyBytes
	check(isPositiveInteger(maxBodyBytes), 'maxBodyBytes', 'must be a positive integer')
	const replayStore = options.replayStore
	ensure(
		replayStore === undefined || isFunction((replayStore as { claim?: unknown } | null)?.claim),
		'replayStore',
		'must have a claim function, e.g. dynamoReplayStore(…)',
	)
	ensure(
		replayStore?.release === undefined || isFunction(replayStore.release),
		'replayStore',
		'release must be a function when given',
	)
	const releaseReplayOnServerError =
		options.releaseReplayOnServerError ?? defaults.releaseReplayOnServerError
	check(
		typeof releaseReplayOnServerError === 'boolean',
		'releaseReplayOnServerError',
		'must be a boolean',
	)
	ensure(
		!releaseReplayOnServerError || isFunction(replayStore?.release),
		'releaseReplayOnServerError',
		'needs a replayStore with a release function, e.g. dynamoReplayStore(…)',
	)
	const replayRetentionSec = options.replayRetentionSec ?? defaults.replayRetentionSec
	check(
		isPositiveInteger(replayRetentionSec),
		'replayRetentionSec',
		'must be a positive integer number of seconds',
	)
	const tracer = options.tracer
	ensure(tracer === undefined || isTracerLike(tracer), 'tracer', 'must be a Powertools Tracer')
	const retryAfterSec = options.retryAfterSec ?? defaults.retryAfterSec
	check(
		isRetryAfterSec(retryAfterSec),
		'retryAfterSec',
		`must be a whole number of seconds from 1 to ${maxRetryAfterSec}`,
	)
	ensure(options.now === undefined || isFunction(options.now), 'now', 'must be a function')

	const tenantHeader = `${headers.tenantId}`
	return {
		scheme,
		tenantIdFrom: tenantIdFrom ?? ((event) => getHeader(event, tenantHeader)),
		secrets: resolveSecrets(options.secrets),
		cache: resolveCache(options.cache),
		toleranceMs: toleranceSec * 1000,
		tenantIdPattern: anchorPattern(pattern),
		maxBodyBytes,
		replayStore,
		replayRetentionMs: replayRetentionSec * 1000,
		releaseReplayOnServerError,
		tracer,
		retryAfterSec,
		now: options.now,
	}
}
