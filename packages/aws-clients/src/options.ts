import {
	assertKnownKeys,
	assertOption,
	isAsyncFunction,
	isDynamoTableName,
	isNonNegativeNumber,
	isPlainObject,
	isPositiveInteger,
	isRetryAfterSec,
	logViolation,
	longestTimerMs,
	maxRetryAfterSec,
	own,
	sdkClientProblem,
	type TracerLike,
	withoutUndefined,
} from '@tenantry/util'
import type { ClientClasses, ClientConfigOf, SharedClientConfig } from './client-class.js'
import { type DynamoTenantGuardOptions, guardDefaults, type ResolvedGuard } from './dynamo-guard.js'
import { keyedOperations } from './dynamo-requests.js'
import { packageName } from './errors.js'
import { type HttpHandlerOptions, httpHandlerDefaults } from './http-handler.js'
import {
	type ResolvedTenantCredentials,
	type TenantCredentialsOptions,
	tenantCredentialsDefaults,
} from './tenant-credentials.js'
import type { GuardViolationReporter } from './violation.js'

/** The X-Ray SDK's cls-hooked namespace (`getNamespace()`): where it keeps the current segment. */
export interface TraceNamespace {
	runAndReturn<T>(fn: () => T): T
}

/**
 * The slice of the Powertools `Tracer` used: client capture, the `tenant_id` annotation, and the
 * X-Ray SDK behind it (`provider`, Powertools' escape hatch), to start credential refreshes
 * outside the trace of the invocation that happens to start them.
 */
export interface ClientTracer extends TracerLike {
	captureAWSv3Client<T>(client: T): T
	readonly provider: { getNamespace(): TraceNamespace }
}

export interface AwsClientsOptions<C extends ClientClasses> {
	/** Client classes by the name they get on `context.clients`, e.g. `{ dynamodb: DynamoDBClient }`. */
	clients: C
	/** Configuration for every client. Region defaults to `AWS_REGION`. */
	config?: SharedClientConfig | undefined
	/** Configuration added per client, typed from each class. */
	perClient?: { [K in keyof C]?: ClientConfigOf<C[K]> | undefined } | undefined
	/** The shared keep-alive handler's pool size and timeouts. */
	httpHandler?: HttpHandlerOptions | undefined
	/** Give each tenant's clients credentials from STS `AssumeRole` with the `tenant_id` session tag. */
	tenantCredentials?: TenantCredentialsOptions | undefined
	/** Refuse DynamoDB requests outside the tenant's key prefix before they are sent. Default on. */
	dynamoTenantGuard?: DynamoTenantGuardOptions | false | undefined
	/** Clients are passed through `tracer.captureAWSv3Client`; requests get the `tenant_id` annotation. */
	tracer?: ClientTracer | undefined
	/** `context.tableName`. Default: `DYNAMODB_TABLE_NAME`. */
	tableName?: string | undefined
	/** Called with every request the guard refuses. Default: one JSON line via `console.warn`. */
	onViolation?: GuardViolationReporter | undefined
	/**
	 * Several invocations run at once in this thread (Lambda Managed Instances), so the request
	 * named in violation reports and STS session names is tracked per async context. Default:
	 * `AWS_LAMBDA_MAX_CONCURRENCY` above 1, which Lambda sets for Managed Instances.
	 */
	concurrentInvocations?: boolean | undefined
	/**
	 * A tenant's client whose service is unavailable (5xx, throttling past the SDK's retries,
	 * timeout, network error, unreadable answer) rejects `send()` with a 503 `HttpError` carrying
	 * `Retry-After`, its `cause` an `AwsServiceUnavailableError` around the SDK's error. `false`
	 * leaves the SDK's errors as they are. Default `{ retryAfterSec: 5 }`.
	 */
	outages?: OutagesOptions | false | undefined
}

export interface OutagesOptions {
	/** `Retry-After` of the 503, in seconds (at least 1). Default 5. */
	retryAfterSec?: number | undefined
}

export const outagesDefaults = { retryAfterSec: 5 } as const

export const defaults = {
	config: {},
	perClient: {},
	httpHandler: httpHandlerDefaults,
	tenantCredentials: undefined,
	dynamoTenantGuard: guardDefaults,
	tracer: undefined,
	tableName: undefined,
	onViolation: logViolation,
	concurrentInvocations: undefined,
	outages: outagesDefaults,
} as const

export interface ResolvedOptions {
	clients: ClientClasses
	config: Record<string, unknown>
	perClient: Record<string, Record<string, unknown> | undefined>
	httpHandler: Required<HttpHandlerOptions>
	tenantCredentials: ResolvedTenantCredentials | undefined
	guard: ResolvedGuard | undefined
	/** A tenant must be on `context` (credentials or guard were asked for explicitly). */
	requiresTenant: boolean
	tracer: ClientTracer | undefined
	tableName: string | undefined
	onViolation: GuardViolationReporter
	concurrentInvocations: boolean
	outages: Required<OutagesOptions> | undefined
}

const known = [
	'clients',
	'config',
	'perClient',
	'httpHandler',
	'tenantCredentials',
	'dynamoTenantGuard',
	'tracer',
	'tableName',
	'onViolation',
	'concurrentInvocations',
	'outages',
] as const
const knownOutages = ['retryAfterSec'] as const
const knownHandler = ['maxSockets', 'connectionTimeout', 'requestTimeout'] as const
const knownCredentials = [
	'roleArn',
	'sessionTags',
	'sessionPolicy',
	'durationSeconds',
	'refreshBeforeExpiryMs',
	'retryAfterSec',
	'sts',
	'maxTenants',
] as const
const knownGuard = ['partitionKey', 'indexes', 'allowScan', 'allowCommands'] as const

const clientName = /^[A-Za-z_$][\w$]*$/
const reservedNames = new Set(['constructor', '__proto__', 'prototype', 'toString', 'valueOf'])
const roleArnPattern = /^arn:(aws[\w-]*):iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/
/** Region prefixes of the partitions other than `aws` known today, longest first. */
const partitionPrefixes = [
	['us-gov-', 'aws-us-gov'],
	['us-isob-', 'aws-iso-b'],
	['us-isof-', 'aws-iso-f'],
	['eu-isoe-', 'aws-iso-e'],
	['us-iso-', 'aws-iso'],
	['eusc-', 'aws-eusc'],
	['cn-', 'aws-cn'],
] as const
const partitionOf = (region: string): string =>
	partitionPrefixes.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'aws'
const knownPartitions = new Set<string>(['aws', ...partitionPrefixes.map(([, name]) => name)])
const operationName = /^[A-Z][A-Za-z]{1,63}$/

const isFunction = (value: unknown): boolean => typeof value === 'function'

/** A `Retry-After` in seconds: the header's smallest useful value is 1. */
const assertRetryAfterSec = (value: unknown, option: string): void =>
	assertOption(
		isRetryAfterSec(value),
		packageName,
		option,
		`must be a whole number of seconds from 1 to ${maxRetryAfterSec}`,
	)

const resolveClients = (clients: unknown): ClientClasses => {
	assertOption(
		isPlainObject(clients),
		packageName,
		'clients',
		'must be an object of client classes',
	)
	const entries = Object.entries(clients)
	assertOption(entries.length > 0, packageName, 'clients', 'must name at least one client')
	for (const [name, value] of entries) {
		assertOption(
			clientName.test(name) && !reservedNames.has(name),
			packageName,
			`clients.${name}`,
			'must be a plain identifier',
		)
		assertOption(
			isFunction(value) &&
				isFunction((value as { prototype?: { send?: unknown } }).prototype?.send),
			packageName,
			`clients.${name}`,
			'must be an AWS SDK v3 client class',
		)
		// lib-dynamodb's document clients have `send` but are made from a client, not from a
		// configuration: built here on first use they would throw the SDK's TypeError about
		// `config`, a 500 of every request that reads them.
		const className = (value as { name?: unknown }).name
		assertOption(
			!isFunction((value as { from?: unknown }).from),
			packageName,
			`clients.${name}`,
			`is made from a client, not from a configuration: list the client it wraps (e.g. DynamoDBClient) and use ${String(className)}.from(context.clients.<that client>)`,
		)
	}
	return clients as ClientClasses
}

const resolveHandler = (given: unknown): Required<HttpHandlerOptions> => {
	assertOption(isPlainObject(given), packageName, 'httpHandler', 'must be an object')
	assertKnownKeys(packageName, 'httpHandler', given, knownHandler)
	const handler = { ...httpHandlerDefaults, ...withoutUndefined(given) }
	assertOption(
		isPositiveInteger(handler.maxSockets),
		packageName,
		'httpHandler.maxSockets',
		'must be a positive integer',
	)
	for (const option of ['connectionTimeout', 'requestTimeout'] as const) {
		assertOption(
			isNonNegativeNumber(handler[option]) && handler[option] <= longestTimerMs,
			packageName,
			`httpHandler.${option}`,
			`must be a non-negative number of milliseconds, at most ${longestTimerMs} (0 waits forever)`,
		)
	}
	return handler
}

const resolveCredentials = (
	given: unknown,
	region: unknown,
): ResolvedTenantCredentials | undefined => {
	if (given === undefined) return undefined
	assertOption(isPlainObject(given), packageName, 'tenantCredentials', 'must be an object')
	assertKnownKeys(packageName, 'tenantCredentials', given, knownCredentials)
	const resolved = {
		...tenantCredentialsDefaults,
		...withoutUndefined(given),
	} as ResolvedTenantCredentials
	assertOption(
		typeof resolved.roleArn === 'string' && roleArnPattern.test(resolved.roleArn),
		packageName,
		'tenantCredentials.roleArn',
		'must be an IAM role ARN',
	)
	// STS refuses a role of another partition: every tenant request would be a 503. Checked when
	// the STS client is built here from a region known now (a region provider is not called), and
	// only for a partition known today: one added later (its regions unknown here) is let be.
	const partition = roleArnPattern.exec(resolved.roleArn)?.[1] ?? ''
	assertOption(
		resolved.sts !== undefined ||
			typeof region !== 'string' ||
			!knownPartitions.has(partition) ||
			partitionOf(region) === partition,
		packageName,
		'tenantCredentials.roleArn',
		`must be a role of the partition of region ${String(region)} (arn:${partitionOf(String(region))}:…)`,
	)
	assertOption(
		Number.isInteger(resolved.durationSeconds) &&
			resolved.durationSeconds >= 900 &&
			resolved.durationSeconds <= 3_600,
		packageName,
		'tenantCredentials.durationSeconds',
		'must be an integer from 900 to 3600 (AssumeRole from a Lambda role is role chaining, capped at one hour)',
	)
	assertOption(
		isNonNegativeNumber(resolved.refreshBeforeExpiryMs) &&
			resolved.refreshBeforeExpiryMs <= resolved.durationSeconds * 1_000 - 60_000,
		packageName,
		'tenantCredentials.refreshBeforeExpiryMs',
		'must leave at least one minute of use before the refresh',
	)
	assertRetryAfterSec(resolved.retryAfterSec, 'tenantCredentials.retryAfterSec')
	assertOption(
		isPositiveInteger(resolved.maxTenants),
		packageName,
		'tenantCredentials.maxTenants',
		'must be a positive integer',
	)
	for (const option of ['sessionTags', 'sessionPolicy'] as const) {
		assertOption(
			resolved[option] === undefined || isFunction(resolved[option]),
			packageName,
			`tenantCredentials.${option}`,
			'must be a function of the tenant',
		)
		assertOption(
			!isAsyncFunction(resolved[option]),
			packageName,
			`tenantCredentials.${option}`,
			'must return its answer synchronously, not a promise',
		)
	}
	const stsProblem =
		resolved.sts === undefined ? undefined : sdkClientProblem(resolved.sts, 'an STSClient', 'STS')
	assertOption(stsProblem === undefined, packageName, 'tenantCredentials.sts', stsProblem ?? '')
	return resolved
}

const resolveOutages = (given: unknown): Required<OutagesOptions> | undefined => {
	if (given === false) return undefined
	assertOption(isPlainObject(given), packageName, 'outages', 'must be an object or false')
	assertKnownKeys(packageName, 'outages', given, knownOutages)
	const resolved = { ...outagesDefaults, ...withoutUndefined(given) }
	assertRetryAfterSec(resolved.retryAfterSec, 'outages.retryAfterSec')
	return resolved
}

const resolveGuard = (given: unknown): ResolvedGuard | undefined => {
	if (given === false) return undefined
	assertOption(isPlainObject(given), packageName, 'dynamoTenantGuard', 'must be an object or false')
	assertKnownKeys(packageName, 'dynamoTenantGuard', given, knownGuard)
	const guard = { ...guardDefaults, ...withoutUndefined(given) } as ResolvedGuard
	assertOption(
		typeof guard.partitionKey === 'string' && guard.partitionKey.length > 0,
		packageName,
		'dynamoTenantGuard.partitionKey',
		'must be an attribute name',
	)
	assertOption(
		isPlainObject(guard.indexes) &&
			Object.values(guard.indexes).every((key) => typeof key === 'string' && key.length > 0),
		packageName,
		'dynamoTenantGuard.indexes',
		'must map index names to partition key attributes',
	)
	assertOption(
		typeof guard.allowScan === 'boolean',
		packageName,
		'dynamoTenantGuard.allowScan',
		'must be a boolean',
	)
	assertOption(
		Array.isArray(guard.allowCommands) &&
			guard.allowCommands.every((name) => typeof name === 'string' && operationName.test(name)),
		packageName,
		'dynamoTenantGuard.allowCommands',
		"must list operation names such as 'DescribeTable'",
	)
	// Listing one of these would do nothing: the guard checks them by their own rules.
	const checked = guard.allowCommands.find(
		(name) =>
			name === 'Scan' || name === 'Query' || (keyedOperations as readonly string[]).includes(name),
	)
	assertOption(
		checked === undefined,
		packageName,
		'dynamoTenantGuard.allowCommands',
		`may not list ${checked}, which the guard checks by its own rule (allowScan for Scan)`,
	)
	// The guard compares operation names: a command class's name would never match.
	const className = guard.allowCommands.find((name) => name.endsWith('Command'))
	assertOption(
		className === undefined,
		packageName,
		'dynamoTenantGuard.allowCommands',
		`must list operation names, not command classes: ${className} is ${className?.replace(/Command$/, '')}`,
	)
	return {
		...guard,
		indexes: Object.freeze({ ...guard.indexes }),
		allowCommands: Object.freeze([...guard.allowCommands]),
	}
}

/** Checks every option once, at factory time; a bad one throws a `TypeError` naming it. */
export const resolveOptions = <C extends ClientClasses>(
	options: AwsClientsOptions<C>,
): ResolvedOptions => {
	assertOption(isPlainObject(options), packageName, 'options', 'must be an object')
	assertKnownKeys(packageName, '', options as unknown as Record<string, unknown>, known)
	const given = { ...defaults, ...withoutUndefined(options) }
	const clients = resolveClients(given.clients)
	assertOption(isPlainObject(given.config), packageName, 'config', 'must be an object')
	assertOption(isPlainObject(given.perClient), packageName, 'perClient', 'must be an object')
	for (const [name, value] of Object.entries(given.perClient)) {
		assertOption(Object.hasOwn(clients, name), packageName, `perClient.${name}`, 'names no client')
		assertOption(
			value === undefined || isPlainObject(value),
			packageName,
			`perClient.${name}`,
			'must be an object',
		)
	}
	// The DynamoDB guard is attached to clients whose `config.serviceId` is `DynamoDB`, which a
	// client takes from its configuration when given: `serviceId: 'x'` would turn the guard off.
	const configs: [string, unknown][] = [
		['config', given.config],
		...Object.entries(given.perClient).map(([name, value]): [string, unknown] => [
			`perClient.${name}`,
			value,
		]),
	]
	for (const [option, config] of configs) {
		assertOption(
			own(config, 'serviceId') === undefined,
			packageName,
			`${option}.serviceId`,
			'may not be set: it tells which clients the DynamoDB tenant guard applies to',
		)
	}
	const tracer = given.tracer
	assertOption(
		tracer === undefined ||
			(typeof tracer === 'object' &&
				tracer !== null &&
				isFunction(tracer.captureAWSv3Client) &&
				isFunction(tracer.isTracingEnabled) &&
				isFunction(tracer.getSegment) &&
				isFunction(tracer.setSegment) &&
				isFunction(tracer.putAnnotation) &&
				typeof tracer.provider === 'object' &&
				tracer.provider !== null &&
				isFunction(tracer.provider.getNamespace)),
		packageName,
		'tracer',
		'must be a Powertools Tracer',
	)
	// An empty variable is how templates pass an optional setting on: not set, not a bad option.
	const tableName = given.tableName ?? (process.env.DYNAMODB_TABLE_NAME || undefined)
	assertOption(
		tableName === undefined || isDynamoTableName(tableName),
		packageName,
		'tableName',
		'must be a DynamoDB table name or table ARN (given, or from DYNAMODB_TABLE_NAME)',
	)
	assertOption(isFunction(given.onViolation), packageName, 'onViolation', 'must be a function')
	const concurrentInvocations =
		given.concurrentInvocations ?? Number(process.env.AWS_LAMBDA_MAX_CONCURRENCY) > 1
	assertOption(
		typeof concurrentInvocations === 'boolean',
		packageName,
		'concurrentInvocations',
		'must be a boolean',
	)
	const region =
		(given.config as { region?: unknown }).region ?? (process.env.AWS_REGION || undefined)
	const tenantCredentials = resolveCredentials(given.tenantCredentials, region)
	return {
		clients,
		config: given.config,
		perClient: given.perClient as ResolvedOptions['perClient'],
		httpHandler: resolveHandler(given.httpHandler),
		tenantCredentials,
		guard: resolveGuard(given.dynamoTenantGuard),
		requiresTenant:
			tenantCredentials !== undefined ||
			(options.dynamoTenantGuard !== undefined && options.dynamoTenantGuard !== false),
		tracer,
		tableName,
		onViolation: given.onViolation,
		concurrentInvocations,
		outages: resolveOutages(given.outages),
	}
}
