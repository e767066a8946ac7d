import {
	anchorPattern,
	assertKnownKeys,
	assertOption,
	DEFAULT_TENANT_ID_PATTERN,
	type HttpEventLike,
	isPlainObject,
	isTracerLike,
	logViolation,
	type TracerLike,
	withoutUndefined,
} from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { packageName } from './errors.js'
import { type MatchLocation, type MatchOptions, matchLocations } from './match.js'
import { sourceNames, type TenantSourceName } from './sources.js'
import type { ViolationReporter } from './violation.js'

export type TenantResolver = (
	event: HttpEventLike,
	context: Context,
) => string | null | undefined | Promise<string | null | undefined>

export interface TenantIsolationOptions {
	/**
	 * The built-in sources to read. Every one that names a tenant must name the same one.
	 * Default: all of them.
	 */
	sources?: readonly TenantSourceName[] | undefined
	/** Field of a Lambda authorizer's context (REST and HTTP API). Default `tenant_id`. */
	authorizerField?: string | undefined
	/** Claim of a Cognito authorizer (REST) and of a JWT authorizer (HTTP API). Default `custom:tenant_id`. */
	claim?: string | undefined
	/** One more source, read after the built-in ones (e.g. a custom authorizer shape). */
	resolve?: TenantResolver | undefined
	/** Tenant ids must match it as a whole, and the default rule too (keys are built from them). */
	tenantIdPattern?: RegExp | undefined
	/** Where the request may name a tenant; a named tenant that differs is refused. */
	match?: MatchOptions | undefined
	/** Called with every refused cross-tenant attempt. Default: one JSON line via `console.warn`. */
	onViolation?: ViolationReporter | undefined
	/** `WWW-Authenticate` of the 401 sent when no tenant is found. Default `Bearer`. */
	challenge?: string | undefined
	/**
	 * Powertools Tracer: annotates `tenant_id` once the tenant is established (behind an API
	 * Gateway authorizer no Tenantry authentication middleware does), and `tenant_violation` with
	 * the code of a refused cross-tenant attempt.
	 */
	tracer?: TracerLike | undefined
}

export const defaults = {
	sources: sourceNames,
	authorizerField: 'tenant_id',
	claim: 'custom:tenant_id',
	resolve: undefined,
	tenantIdPattern: DEFAULT_TENANT_ID_PATTERN,
	match: {},
	onViolation: logViolation,
	challenge: 'Bearer',
	tracer: undefined,
} as const satisfies Required<Omit<TenantIsolationOptions, 'resolve' | 'tracer'>> & {
	resolve: undefined
	tracer: undefined
}

const knownOptions = [
	'sources',
	'authorizerField',
	'claim',
	'resolve',
	'tenantIdPattern',
	'match',
	'onViolation',
	'challenge',
	'tracer',
] as const
const knownMatchOptions = ['pathParameter', 'header', 'query', 'bodyField', 'required'] as const

export interface ResolvedOptions {
	sources: readonly TenantSourceName[]
	authorizerField: string
	claim: string
	resolve: TenantResolver | undefined
	tenantIdPattern: RegExp
	match: MatchOptions
	onViolation: ViolationReporter
	challenge: string
	tracer: TracerLike | undefined
}

const isName = (value: unknown): value is string =>
	typeof value === 'string' && value.length > 0 && value.length <= 256

const forbiddenSegments = new Set(['__proto__', 'constructor', 'prototype'])
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const headerValuePattern = /^[\x20-\x7e]+$/

const resolveMatch = (match: unknown): MatchOptions => {
	assertOption(isPlainObject(match), packageName, 'match', 'must be an object')
	assertKnownKeys(packageName, 'match', match, knownMatchOptions)
	const { pathParameter, header, query, bodyField, required } = match as MatchOptions
	for (const [option, value] of Object.entries({ pathParameter, query })) {
		assertOption(
			value === undefined || isName(value),
			packageName,
			`match.${option}`,
			'must be a non-empty string',
		)
	}
	assertOption(
		header === undefined || (isName(header) && headerNamePattern.test(header)),
		packageName,
		'match.header',
		'must be a header name',
	)
	assertOption(
		bodyField === undefined ||
			(isName(bodyField) &&
				bodyField.split('.').every((s) => s.length > 0 && !forbiddenSegments.has(s))),
		packageName,
		'match.bodyField',
		"must be a dotted path such as 'order.tenantId'",
	)
	const configured = matchLocations.filter((location) => match[location] !== undefined)
	// `true` with nothing configured would require nothing, unlike what it says.
	assertOption(
		required !== true || configured.length > 0,
		packageName,
		'match.required',
		'is true, but no location (pathParameter, header, query, bodyField) is configured',
	)
	assertOption(
		required === undefined ||
			typeof required === 'boolean' ||
			(Array.isArray(required) &&
				required.every((location: MatchLocation) => configured.includes(location))),
		packageName,
		'match.required',
		'must be a boolean or a list of configured locations',
	)
	return { pathParameter, header, query, bodyField, required }
}

/** Checks every option once, at factory time; a bad one throws a `TypeError` naming it. */
export const resolveOptions = (options: TenantIsolationOptions): ResolvedOptions => {
	assertOption(isPlainObject(options), packageName, 'options', 'must be an object')
	assertKnownKeys(packageName, '', options, knownOptions)
	const resolved = { ...defaults, ...withoutUndefined(options) }
	assertOption(
		Array.isArray(resolved.sources) &&
			resolved.sources.every((name) => sourceNames.includes(name)) &&
			new Set(resolved.sources).size === resolved.sources.length,
		packageName,
		'sources',
		`must list distinct sources among ${sourceNames.join(', ')}`,
	)
	assertOption(
		resolved.resolve === undefined || typeof resolved.resolve === 'function',
		packageName,
		'resolve',
		'must be a function',
	)
	assertOption(
		resolved.resolve !== undefined || resolved.sources.some((name) => name !== 'lambdaContext'),
		packageName,
		'sources',
		'must name a source that can establish the tenant, or give resolve',
	)
	assertOption(
		isName(resolved.authorizerField),
		packageName,
		'authorizerField',
		'must be a non-empty string',
	)
	assertOption(isName(resolved.claim), packageName, 'claim', 'must be a non-empty string')
	assertOption(
		resolved.tenantIdPattern instanceof RegExp,
		packageName,
		'tenantIdPattern',
		'must be a RegExp',
	)
	assertOption(
		typeof resolved.onViolation === 'function',
		packageName,
		'onViolation',
		'must be a function',
	)
	assertOption(
		typeof resolved.challenge === 'string' && headerValuePattern.test(resolved.challenge),
		packageName,
		'challenge',
		'must be a printable ASCII header value',
	)
	assertOption(
		resolved.tracer === undefined || isTracerLike(resolved.tracer),
		packageName,
		'tracer',
		'must be a Powertools Tracer',
	)
	return {
		...resolved,
		sources: [...resolved.sources],
		tenantIdPattern: anchorPattern(resolved.tenantIdPattern),
		match: resolveMatch(resolved.match),
	}
}
