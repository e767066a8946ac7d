import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { assertKnownKeys, assertOption, isPlainObject, withoutUndefined } from '@tenantry/util'
import { packageName } from './errors.js'

/** One accepted request, to be remembered until it could no longer pass the timestamp check. */
export interface ReplayClaim {
	/** A validated tenant id. */
	readonly tenantId: string
	/** Lowercase hex SHA-256 identifying the message (never the signature itself). */
	readonly id: string
	/** Epoch seconds after which the record no longer matters (timestamp + tolerance). */
	readonly expiresAt: number
	/** Epoch seconds now: a record with `expiresAt` before it counts as absent. */
	readonly now: number
	/**
	 * Random, one per claim: tells the record this claim wrote from any other. A retried write of
	 * the same claim (its first answer lost) must succeed, and a release must delete only it.
	 */
	readonly token: string
}

/** What identifies the record one claim wrote. */
type ReplayClaimKey = Pick<ReplayClaim, 'tenantId' | 'id' | 'token'>

/**
 * Where accepted requests are remembered, shared by every container. `claim` resolves `true`
 * for the first delivery, `false` for a replay, and rejects when the store cannot answer
 * (the middleware then answers 503, never accepts). The middleware never releases a claim
 * that rejected: a `claim` whose write may have landed before it failed withdraws it itself
 * (only if it is its own, by `token`), or the retry of the 503 is refused as a replay.
 * `release`, when present, forgets a claim that succeeded and whose request then failed on
 * the server side (5xx, with `releaseReplayOnServerError`), so the sender's identical retry is
 * processed rather than refused as a replay.
 */
export interface ReplayStore {
	claim(claim: ReplayClaim): Promise<boolean>
	release?(claim: ReplayClaim): Promise<void>
}

/**
 * The part of a `DynamoDBClient` the store uses. Structural, so that declarations of this
 * package never name `@aws-sdk/client-dynamodb`'s types.
 */
export interface DynamoDBClientLike {
	send(command: never): Promise<unknown>
}

export interface DynamoReplayStoreOptions {
	tableName: string
	/** A `DynamoDBClient`. */
	client: DynamoDBClientLike
	/** Prepended to the tenant id in the partition key. Default `TENANT#` (the suite's tenant key layout). */
	keyPrefix?: string
	/** Default `pk`. */
	partitionKey?: string
	/** Default `sk`, holding the constant `hmac-replay`; `null` for a table without a sort key. */
	sortKey?: string | null
	/** Number attribute for DynamoDB TTL, epoch seconds. Default `expiresAt`. */
	ttlAttribute?: string
}

export const replayStoreDefaults = {
	keyPrefix: 'TENANT#',
	partitionKey: 'pk',
	sortKey: 'sk',
	ttlAttribute: 'expiresAt',
} as const

const knownOptions = ['tableName', 'client', 'keyPrefix', 'partitionKey', 'sortKey', 'ttlAttribute']
const recordType = 'hmac-replay'
/** Attribute holding the token of the claim that wrote a record. */
const tokenAttribute = 'claimToken'
/** Attribute of a withdrawn claim's record, holding its token instead of `claimToken`. */
const withdrawnAttribute = 'withdrawnToken'

const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0

/**
 * Replay protection on DynamoDB: one conditional `PutItem` per accepted request, keyed
 * `<keyPrefix><tenantId>#hmac-replay#<id>`, under
 * `attribute_not_exists(pk) OR expiresAt < :now OR claimToken = :token`, or a withdrawn record
 * of another claim: an expired record counts as absent, because TTL deletion lags (and dynalite
 * has none), and the SDK's retry of a write whose answer was lost finds its own record. A write
 * that fails otherwise is withdrawn before the error is rethrown (a record refusing that write,
 * should DynamoDB still apply it), and `release` deletes a record only while it is its claim's.
 * IAM: `dynamodb:PutItem` on the table, and `dynamodb:DeleteItem` with
 * `releaseReplayOnServerError`.
 */
export const dynamoReplayStore = (options: DynamoReplayStoreOptions): ReplayStore => {
	const option = 'replayStore'
	assertOption(isPlainObject(options), packageName, option, 'must be an object')
	assertKnownKeys(packageName, option, options as unknown as Record<string, unknown>, knownOptions)
	const { tableName, client } = options
	const { keyPrefix, partitionKey, sortKey, ttlAttribute } = {
		...replayStoreDefaults,
		...withoutUndefined(options),
	}
	assertOption(isName(tableName), packageName, `${option}.tableName`, 'must be a non-empty string')
	assertOption(
		typeof (client as { send?: unknown } | undefined)?.send === 'function',
		packageName,
		`${option}.client`,
		'must be a DynamoDBClient',
	)
	assertOption(
		typeof keyPrefix === 'string',
		packageName,
		`${option}.keyPrefix`,
		'must be a string',
	)
	assertOption(
		isName(partitionKey),
		packageName,
		`${option}.partitionKey`,
		'must be a non-empty string',
	)
	assertOption(
		sortKey === null || isName(sortKey),
		packageName,
		`${option}.sortKey`,
		'must be a non-empty string or null',
	)
	assertOption(
		isName(ttlAttribute),
		packageName,
		`${option}.ttlAttribute`,
		'must be a non-empty string',
	)
	assertOption(
		ttlAttribute !== partitionKey && ttlAttribute !== sortKey,
		packageName,
		`${option}.ttlAttribute`,
		'must differ from the key attributes',
	)
	for (const [name, value] of [
		['partitionKey', partitionKey],
		['sortKey', sortKey],
		['ttlAttribute', ttlAttribute],
	] as const)
		assertOption(
			value !== tokenAttribute && value !== withdrawnAttribute,
			packageName,
			`${option}.${name}`,
			`must not be '${tokenAttribute}' or '${withdrawnAttribute}', the attributes of the claim token`,
		)

	const send = client.send.bind(client) as (
		command: PutItemCommand | DeleteItemCommand,
	) => Promise<unknown>
	const keyOf = (tenantId: string, id: string) => ({
		[partitionKey]: { S: `${keyPrefix}${tenantId}#${recordType}#${id}` },
		...(sortKey === null ? {} : { [sortKey]: { S: recordType } }),
	})
	const isConditionFailure = (error: unknown): boolean =>
		error instanceof Error && error.name === 'ConditionalCheckFailedException'

	/** Deletes the record only while it is the one the claim with `token` wrote. */
	const release = async ({ tenantId, id, token }: ReplayClaimKey): Promise<void> => {
		try {
			await send(
				new DeleteItemCommand({
					TableName: tableName,
					Key: keyOf(tenantId, id),
					ConditionExpression: '#token = :token',
					ExpressionAttributeNames: { '#token': tokenAttribute },
					ExpressionAttributeValues: { ':token': { S: token } },
				}),
			)
		} catch (error) {
			if (!isConditionFailure(error)) throw error
		}
	}

	/**
	 * Replaces the record with a withdrawn one, unless it is another claim's (live): where the
	 * claim's write landed, and where it has not landed yet, so that it cannot land later.
	 */
	const withdraw = async ({ tenantId, id, expiresAt, now, token }: ReplayClaim): Promise<void> => {
		try {
			await send(
				new PutItemCommand({
					TableName: tableName,
					Item: {
						...keyOf(tenantId, id),
						[ttlAttribute]: { N: String(expiresAt) },
						[withdrawnAttribute]: { S: token },
					},
					ConditionExpression:
						'attribute_not_exists(#pk) OR #expiresAt < :now OR #token = :token OR attribute_exists(#withdrawn)',
					ExpressionAttributeNames: {
						'#pk': partitionKey,
						'#expiresAt': ttlAttribute,
						'#token': tokenAttribute,
						'#withdrawn': withdrawnAttribute,
					},
					ExpressionAttributeValues: { ':now': { N: String(now) }, ':token': { S: token } },
				}),
			)
		} catch (error) {
			if (!isConditionFailure(error)) throw error
		}
	}

	const store: ReplayStore = {
		async claim({ tenantId, id, expiresAt, now, token }) {
			try {
				// `#token = :token`: the SDK's retry of this very write, whose first answer was lost
				// after DynamoDB applied it, finds its own record and is not read as a replay.
				await send(
					new PutItemCommand({
						TableName: tableName,
						Item: {
							...keyOf(tenantId, id),
							[ttlAttribute]: { N: String(expiresAt) },
							[tokenAttribute]: { S: token },
						},
						// A withdrawn claim's record stands in for no record, except to that claim.
						ConditionExpression:
							'attribute_not_exists(#pk) OR #expiresAt < :now OR #token = :token' +
							' OR (attribute_exists(#withdrawn) AND #withdrawn <> :token)',
						ExpressionAttributeNames: {
							'#pk': partitionKey,
							'#expiresAt': ttlAttribute,
							'#token': tokenAttribute,
							'#withdrawn': withdrawnAttribute,
						},
						ExpressionAttributeValues: { ':now': { N: String(now) }, ':token': { S: token } },
					}),
				)
				return true
			} catch (error) {
				if (isConditionFailure(error)) return false
				// The write may have landed with its answer lost, or may still land: DynamoDB may
				// apply a request the client gave up on after anything sent now. The request is
				// answered 503 and its handler never runs, so the claim is withdrawn: a record that
				// refuses this claim's own write, late or not, and lets any other claim through (the
				// identical retry the 503 invites must not be refused as a replay).
				await withdraw({ tenantId, id, expiresAt, now, token }).catch(() => undefined)
				throw error
			}
		},
		release,
	}
	return store
}
