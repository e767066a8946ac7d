import { UpdateItemCommand, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb'
import {
	assertKnownKeys,
	assertOption,
	type DynamoDBClientLike,
	isConditionalCheckFailed,
	isDynamoTableName,
	isPlainObject,
	isPositiveInteger,
	longestTimerMs,
	sdkClientProblem,
	tenantKey,
	withoutUndefined,
} from '@tenantry/util'
import { RateLimitStoreAnswerError } from './errors.js'
import { packageName } from './package-name.js'
import type { RateLimitStore } from './store.js'
import { ownStore } from './store-answer.js'

export interface DynamoRateLimitStoreOptions {
	tableName: string
	/** A `DynamoDBClient`, of any copy of the AWS SDK. */
	client: DynamoDBClientLike
	/** Partition key attribute. Default `pk`. */
	partitionKey?: string | undefined
	/** Sort key attribute, or `null` for a table without one. Default `sk`. */
	sortKey?: string | null | undefined
	/** Value written to the sort key. Default `RATE`. */
	sortKeyValue?: string | undefined
	/** Attribute for DynamoDB TTL cleanup (epoch seconds). Default `expiresAt`. */
	ttlAttribute?: string | undefined
	/**
	 * How long one consume may take, the SDK's retries included, before it counts as a store
	 * error (`onStoreError`). Default 2,000 ms: a DynamoDB that does not answer must not hold
	 * every request until the function times out, and a cold start's first write (a TLS
	 * handshake on a small function's share of a CPU) must not count as a failure.
	 */
	timeoutMs?: number | undefined
}

/** The defaults of `dynamoRateLimitStore`'s options (`tableName` and `client` are required). */
export const dynamoRateLimitStoreDefaults = {
	partitionKey: 'pk',
	sortKey: 'sk',
	sortKeyValue: 'RATE',
	ttlAttribute: 'expiresAt',
	timeoutMs: 2_000,
} as const satisfies Required<Omit<DynamoRateLimitStoreOptions, 'tableName' | 'client'>>

const knownOptions = [
	'tableName',
	'client',
	'partitionKey',
	'sortKey',
	'sortKeyValue',
	'ttlAttribute',
	'timeoutMs',
] as const

/** The counter attribute the update expression adds to. */
const countAttribute = 'count'

const isAttributeName = (value: unknown): value is string =>
	typeof value === 'string' && value.length > 0 && value.length <= 255

/**
 * Counters in DynamoDB, shared by every container: one item per tenant and window
 * (`pk = TENANT#<id>#RATE#<windowStartSec>+<windowSec>s`, or `RATE:<name>` for a named limit),
 * incremented with `ADD` under the condition `count < limit`, so the total allowed across
 * containers is exact whatever the interleaving. `UpdateItem` takes no idempotency token: an
 * applied write whose answer was lost counts again when the SDK retries it, which can only
 * refuse a request too many, never allow one.
 * The TTL attribute only cleans up; the window is in the key, so expiry is never relied on.
 */
export const dynamoRateLimitStore = (options: DynamoRateLimitStoreOptions): RateLimitStore => {
	assertOption(isPlainObject(options), packageName, 'store', 'options must be an object')
	// A misspelt key would otherwise fail every write, which onStoreError 'allow' turns into no
	// rate limiting at all.
	assertKnownKeys(packageName, 'store', options as unknown as Record<string, unknown>, knownOptions)
	assertOption(
		isDynamoTableName(options.tableName),
		packageName,
		'store.tableName',
		'must be a DynamoDB table name (3 to 255 of letters, digits, _, . and -) or a table ARN',
	)
	const clientProblem = sdkClientProblem(options.client, 'a DynamoDBClient', 'DynamoDB')
	assertOption(clientProblem === undefined, packageName, 'store.client', clientProblem ?? '')
	const { client, tableName, partitionKey, sortKey, sortKeyValue, ttlAttribute, timeoutMs } = {
		...dynamoRateLimitStoreDefaults,
		...withoutUndefined(options),
	}
	assertOption(
		isAttributeName(partitionKey),
		packageName,
		'store.partitionKey',
		'must be an attribute name',
	)
	assertOption(
		sortKey === null || isAttributeName(sortKey),
		packageName,
		'store.sortKey',
		'must be an attribute name, or null for a table without a sort key',
	)
	assertOption(
		typeof sortKeyValue === 'string' && sortKeyValue.length > 0,
		packageName,
		'store.sortKeyValue',
		'must be a non-empty string',
	)
	assertOption(
		isAttributeName(ttlAttribute),
		packageName,
		'store.ttlAttribute',
		'must be an attribute name',
	)
	// DynamoDB refuses an update that sets a key attribute, or one attribute twice: each of these
	// would fail every write.
	assertOption(
		partitionKey !== countAttribute && partitionKey !== sortKey,
		packageName,
		'store.partitionKey',
		`must differ from the sort key and from '${countAttribute}', the counter`,
	)
	assertOption(
		sortKey !== countAttribute,
		packageName,
		'store.sortKey',
		`must differ from '${countAttribute}', the counter`,
	)
	assertOption(
		ttlAttribute !== countAttribute && ttlAttribute !== partitionKey && ttlAttribute !== sortKey,
		packageName,
		'store.ttlAttribute',
		`must differ from the key attributes and from '${countAttribute}', the counter`,
	)
	assertOption(
		isPositiveInteger(timeoutMs) && timeoutMs <= longestTimerMs,
		packageName,
		'store.timeoutMs',
		`must be a positive integer number of milliseconds, at most ${longestTimerMs}`,
	)
	const attributeNames = { '#count': countAttribute, '#expiresAt': ttlAttribute }
	const send = client.send.bind(client) as (
		command: UpdateItemCommand,
		options: { abortSignal: AbortSignal },
	) => Promise<UpdateItemCommandOutput>

	return ownStore({
		async consume({ tenantId, windowStart, windowEnd, limit, name }) {
			// Start and length: windows of different lengths may start at the same instant.
			const window = `${Math.floor(windowStart / 1000)}+${(windowEnd - windowStart) / 1000}s`
			const key = {
				[partitionKey]: {
					S: tenantKey(tenantId, name === undefined ? 'RATE' : `RATE:${name}`, window),
				},
				...(sortKey ? { [sortKey]: { S: sortKeyValue } } : {}),
			}
			try {
				const { Attributes } = await send(
					new UpdateItemCommand({
						TableName: tableName,
						Key: key,
						UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
						ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
						ExpressionAttributeNames: attributeNames,
						ExpressionAttributeValues: {
							':one': { N: '1' },
							':limit': { N: String(limit) },
							':expiresAt': {
								N: String(Math.ceil(windowEnd / 1000) + (windowEnd - windowStart) / 1000),
							},
						},
						ReturnValues: 'UPDATED_NEW',
					}),
					{ abortSignal: AbortSignal.timeout(timeoutMs) },
				)
				// UPDATED_NEW always returns the counter: an answer without it (an empty 200, a proxy's
				// page) is a failed store, not the limit reached, which would refuse the tenant until
				// the window ends, long after DynamoDB is back.
				const count = Number(Attributes?.[countAttribute]?.N)
				if (!Number.isSafeInteger(count) || count < 1) throw new RateLimitStoreAnswerError()
				return { allowed: true, count }
			} catch (error) {
				if (isConditionalCheckFailed(error)) return { allowed: false, count: limit }
				throw error
			}
		},
	})
}
