import {
	forbidden,
	own,
	reportViolation,
	type TenantContext,
	type TenantryError,
} from '@tenantry/util'
import {
	isTenantKey,
	isTenantKeyInAnyForm,
	type KeyedOperation,
	keyedOperations,
	partitionKeyValues,
	type TenantKeyTest,
	tenantNamedBy,
} from './dynamo-requests.js'
import {
	CommandRefusedError,
	CrossTenantKeyError,
	ScanRefusedError,
	UnprovenKeyConditionError,
} from './errors.js'
import { indexKeyFinding } from './index-keys.js'
import { partitionKeyBinding } from './key-condition.js'
import {
	addBeforeCredentials,
	addToStack,
	operationOf,
	type SendMiddleware,
} from './middleware-stack.js'
import type { RequestFactsSlot } from './request-facts.js'
import { sentBody } from './sent-body.js'
import { storedKeyFinding } from './stored-tenant-keys.js'
import type { DynamoKeyViolationCode, GuardViolationReporter } from './violation.js'

export interface DynamoTenantGuardOptions {
	/** The partition key attribute of every table the client reaches. Default `pk`. */
	partitionKey?: string | undefined
	/**
	 * Partition key attribute of each index a Query may use, e.g. `{ byStatus: 'gsi1pk' }`
	 * (a local secondary index shares the table's: `{ byDate: 'pk' }`). Queries on other
	 * indexes are refused.
	 */
	indexes?: Readonly<Record<string, string>> | undefined
	/** Allow `Scan`, which reads every tenant's items. Default `false`. */
	allowScan?: boolean | undefined
	/** Further operations to let through unchecked, e.g. `['DescribeTable']`. Default none. */
	allowCommands?: readonly string[] | undefined
}

export interface ResolvedGuard {
	partitionKey: string
	indexes: Readonly<Record<string, string>>
	allowScan: boolean
	allowCommands: readonly string[]
}

export const guardDefaults = {
	partitionKey: 'pk',
	indexes: {},
	allowScan: false,
	allowCommands: [],
} as const satisfies ResolvedGuard

export const guardMiddlewareName = 'tenantryDynamoDbTenantGuard'
/** The same rules ahead of credential resolution (see `attachGuard`). */
const guardPrecheckName = 'tenantryDynamoDbKeyPrecheck'

interface Refusal {
	code: DynamoKeyViolationCode
	reason: TenantryError
	claimed: unknown
}

const isKeyed = (operation: string): operation is KeyedOperation =>
	(keyedOperations as readonly string[]).includes(operation)

const indexKeySets = new WeakMap<ResolvedGuard, ReadonlySet<string>>()

/** Partition key attributes of the indexes that are not the table's own: checked on writes. */
const indexKeysOf = (guard: ResolvedGuard): ReadonlySet<string> => {
	let keys = indexKeySets.get(guard)
	if (keys === undefined) {
		keys = new Set(Object.values(guard.indexes).filter((key) => key !== guard.partitionKey))
		indexKeySets.set(guard, keys)
	}
	return keys
}

/** Why this request must not be sent for `tenant`, or `undefined` when it may. */
export const refusalFor = (
	operation: string,
	input: unknown,
	tenant: TenantContext,
	guard: ResolvedGuard,
	isOwnKey: TenantKeyTest = isTenantKey,
): Refusal | undefined => {
	if (isKeyed(operation)) {
		const values = partitionKeyValues(operation, input, guard.partitionKey)
		if (values === undefined) {
			return {
				code: 'dynamodb_cross_tenant_key',
				reason: new CrossTenantKeyError(operation),
				claimed: undefined,
			}
		}
		const foreign = values.findIndex((value) => !isOwnKey(value, tenant.keyPrefix))
		if (foreign !== -1) {
			return {
				code: 'dynamodb_cross_tenant_key',
				reason: new CrossTenantKeyError(operation),
				claimed: values[foreign],
			}
		}
		const index =
			indexKeyFinding(operation, input, indexKeysOf(guard), tenant.keyPrefix, isOwnKey) ??
			storedKeyFinding(operation, input, tenant.keyPrefix)
		return index === undefined
			? undefined
			: {
					code: 'dynamodb_cross_tenant_key',
					reason: new CrossTenantKeyError(`${operation} (${index.reason})`),
					claimed: index.claimed,
				}
	}
	if (operation === 'Query') {
		const indexName = own(input, 'IndexName')
		const partitionKey =
			indexName === undefined ? guard.partitionKey : own(guard.indexes, String(indexName))
		if (typeof partitionKey !== 'string') {
			return {
				code: 'dynamodb_key_condition_unproven',
				reason: new UnprovenKeyConditionError('the index is not listed in indexes'),
				claimed: undefined,
			}
		}
		const binding = partitionKeyBinding(input, partitionKey)
		if ('reason' in binding) {
			return {
				code: 'dynamodb_key_condition_unproven',
				reason: new UnprovenKeyConditionError(binding.reason),
				claimed: undefined,
			}
		}
		return isOwnKey(binding.value, tenant.keyPrefix)
			? undefined
			: {
					code: 'dynamodb_cross_tenant_key',
					reason: new CrossTenantKeyError(operation),
					claimed: binding.value,
				}
	}
	if (operation === 'Scan') {
		return guard.allowScan
			? undefined
			: { code: 'dynamodb_scan_refused', reason: new ScanRefusedError(), claimed: undefined }
	}
	return guard.allowCommands.includes(operation)
		? undefined
		: {
				code: 'dynamodb_command_refused',
				reason: new CommandRefusedError(operation || 'unnamed command'),
				claimed: undefined,
			}
}

/** Operations whose refusal depends on the keys they name. */
const readsKeys = (operation: string): boolean => isKeyed(operation) || operation === 'Query'

/**
 * Adds the guard to one tenant's DynamoDB client. It sits in the `build` step, after
 * serialisation: it checks the body the request sends, read back from its bytes (the same for
 * `DynamoDBClient` and `DynamoDBDocumentClient`), rather than the input it was written from,
 * which does not always show what the serializer wrote (see `sentBody`); it runs once per
 * `send`, before the retry loop and before any byte leaves. The SDK resolves credentials
 * earlier, in the `serialize` step (an `AssumeRole` for a tenant without a cached session), so
 * the same rules also run before that, right ahead of the serializer's group (after an
 * application's own middlewares that may complete a key), on the input as it is then (a
 * document command's values not yet marshalled): a request refused there calls no credential
 * provider, and is a 403 reported once even while STS fails. Adding it again replaces it.
 */
export const attachGuard = (
	client: object,
	tenant: TenantContext,
	guard: ResolvedGuard,
	facts: RequestFactsSlot,
	reporter: GuardViolationReporter,
): void => {
	const check =
		(
			isOwnKey: TenantKeyTest,
			checked: (args: { input: unknown; request?: unknown }, operation: string) => unknown,
		): SendMiddleware =>
		(next, context) =>
		(args) => {
			const operation = operationOf(context.commandName)
			const refusal = refusalFor(operation, checked(args, operation), tenant, guard, isOwnKey)
			if (refusal === undefined) return next(args)
			const request = facts.current()
			reportViolation(reporter, {
				code: refusal.code,
				tenant: tenant.id,
				claimedTenant: tenantNamedBy(refusal.claimed),
				source: `dynamodb:${operation || 'unknown'}`,
				requestId: request.requestId,
				path: request.path,
				method: request.method,
			})
			return Promise.reject(forbidden(refusal.reason))
		}
	addBeforeCredentials(
		client,
		guardPrecheckName,
		check(isTenantKeyInAnyForm, (args) => args.input),
	)
	// Scan and the listed commands are let through or refused whatever they name: no body to read.
	addToStack(
		client,
		'build',
		guardMiddlewareName,
		check(isTenantKey, (args, operation) =>
			readsKeys(operation) ? sentBody(args.request) : undefined,
		),
	)
}
