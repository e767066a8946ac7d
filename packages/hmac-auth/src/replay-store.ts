import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import {
	assertKnownKeys,
	assertOption,
	type DynamoDBClientLike,
	isConditionalCheckFailed,
	isDynamoTableName,
	isPlainObject,
	sdkClientProblem,
	withoutUndefined,
} from '@tenantry/util'
import { packageName } from './errors.js'

/** One accepted request, to be remembered until it could no longer pass the timestamp check. */
export interface ReplayClaim {
	/** A validated tenant id. */
	readonly tenantId: string
	/** Lowercase hex SHA-256 identifying the message (never the signature itself). */
	readonly id: string
	/** Epoch seconds after which the record no longer matters (timestamp + tolerance). */
	readonly expiresAt: number
	/**
	 * Epoch seconds now, or the request's timestamp when earlier: a record with `expiresAt`
	 * before it counts as absent. So a record of a request whose timestamp is still accepted
	 * is a replay, even one written with a smaller `toleranceSec`.
	 */
	readonly now: number
	/**
	 * Random, one per claim: tells the record this claim wrote from any other. A retried write of
	 * the same claim (its first answer lost) must succeed, and a release must delete only it.
	 */
	readonly token: string
}

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

export interface DynamoReplayStoreOptions {
	tableName: string
	/** A `DynamoDBClient`. */
	client: DynamoDBClientLike
	/** Prepended to the tenant id in the partition key. Default `TENANT#` (the suite's tenant key layout). */
	keyPrefix?: string | undefined
	/** Default `pk`. */
	partitionKey?: string | undefined
	/** Default `sk`, holding the constant `hmac-replay`; `null` for a table without a sort key. */
	sortKey?: string | null | undefined
	/** Number attribute for DynamoDB TTL, epoch seconds. Default `expiresAt`. */
	ttlAttribute?: string | undefined
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
/** Attribute holding the tokens of claims withdrawn or released: none of them may claim again. */
const withdrawnAttribute = 'withdrawnTokens'
/** Withdrawn tokens one record keeps at most: about 4 KB. */
const maxWithdrawnTokens = 100

const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0

const maxWithdrawn = String(maxWithdrawnTokens)
/** Every value placeholder a write may use, read from the claim it applies to. */
const claimValues = {
	':expiresAt': ({ expiresAt }: ReplayClaim): AttributeValue => ({ N: String(expiresAt) }),
	':now': ({ now }: ReplayClaim): AttributeValue => ({ N: String(now) }),
	':token': ({ token }: ReplayClaim): AttributeValue => ({ S: token }),
	':tokens': ({ token }: ReplayClaim): AttributeValue => ({ SS: [token] }),
	':maxWithdrawn': (): AttributeValue => ({ N: maxWithdrawn }),
}
type ValuePlaceholder = keyof typeof claimValues
const valuePlaceholders = Object.keys(claimValues) as ValuePlaceholder[]

interface Write {
	readonly updateExpression: string
	readonly condition: string
	readonly names: Readonly<Record<string, string>>
	readonly values: readonly ValuePlaceholder[]
}

/**
 * Replay protection on DynamoDB: one conditional `UpdateItem` per accepted request, keyed
 * `<keyPrefix><tenantId>#hmac-replay#<id>`, setting `claimToken` where the record is absent,
 * expired (TTL deletion lags, and dynalite has none), this claim's own (the SDK's retry of a
 * write whose answer was lost) or only remembers withdrawn claims, and never for a token in
 * `withdrawnTokens`. A write that fails otherwise is withdrawn before the error is rethrown: its
 * token joins `withdrawnTokens`, which refuses that write should DynamoDB still apply it, and
 * `release` does the same only while the record is its claim's. IAM: `dynamodb:UpdateItem`.
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
	assertOption(
		isDynamoTableName(tableName),
		packageName,
		`${option}.tableName`,
		'must be a DynamoDB table name (3 to 255 of letters, digits, _, . and -) or a table ARN',
	)
	const clientProblem = sdkClientProblem(client, 'a DynamoDBClient', 'DynamoDB')
	assertOption(clientProblem === undefined, packageName, `${option}.client`, clientProblem ?? '')
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

	const send = client.send.bind(client) as (command: UpdateItemCommand) => Promise<unknown>
	const keyOf = (tenantId: string, id: string) => ({
		[partitionKey]: { S: `${keyPrefix}${tenantId}#${recordType}#${id}` },
		...(sortKey === null ? {} : { [sortKey]: { S: recordType } }),
	})
	const attributeNames: Record<string, string> = {
		'#pk': partitionKey,
		'#expiresAt': ttlAttribute,
		'#token': tokenAttribute,
		'#withdrawn': withdrawnAttribute,
	}
	/** An update and its condition, with the placeholders they use (DynamoDB refuses others). */
	const write = (updateExpression: string, condition: string): Write => {
		const uses = (placeholder: string) =>
			new RegExp(`${placeholder}(?!\\w)`).test(`${updateExpression} ${condition}`)
		return {
			updateExpression,
			condition,
			names: Object.fromEntries(Object.entries(attributeNames).filter(([name]) => uses(name))),
			values: valuePlaceholders.filter(uses),
		}
	}

	// Free for a claim: no record, an expired one, this claim's own (the SDK's retry of a write
	// whose answer was lost), or one that only remembers withdrawn claims.
	const free =
		'attribute_not_exists(#pk) OR #expiresAt < :now OR #token = :token' +
		' OR (attribute_exists(#withdrawn) AND attribute_not_exists(#token))'
	// Moves the claim's token (if the record holds it) to the withdrawn ones, which no later write
	// of that claim may pass.
	const withdrawToken = 'REMOVE #token ADD #withdrawn :tokens'
	// The set stays far below DynamoDB's 400 KB item: past it, failures stop being withdrawn or
	// released, and the message falls back to at most once (its retries get 401, not a 503 for
	// every claim once the item could not grow).
	const room = '(attribute_not_exists(#withdrawn) OR size(#withdrawn) < :maxWithdrawn)'
	const claimWrite = write(
		'SET #expiresAt = :expiresAt, #token = :token',
		`(${free}) AND NOT contains(#withdrawn, :token)`,
	)
	const withdrawWrite = write(
		`SET #expiresAt = :expiresAt ${withdrawToken}`,
		`(${free}) AND ${room}`,
	)
	// Another claim holds the record: the token still joins the withdrawn ones (without touching
	// that claim), or this claim's own late write lands once that claim is withdrawn or released.
	const rememberWrite = write(
		'SET #expiresAt = if_not_exists(#expiresAt, :expiresAt) ADD #withdrawn :tokens',
		room,
	)
	const releaseWrite = write(withdrawToken, `#token = :token AND ${room}`)
	// Once remembered, the claim's write can no longer land; it may have landed just before
	// (the other claim withdrawn or released in between): then the record is freed of it.
	const forgetOwnWrite = write('REMOVE #token', '#token = :token')

	/**
	 * Applies a write to the claim's record; a failed condition is `false`, after
	 * `onRefusedRetry` when the SDK had retried the write. Every write is an update, so the
	 * tokens of withdrawn claims accumulate in one set.
	 */
	const update = async (
		claim: ReplayClaim,
		{ updateExpression, condition, names, values }: Write,
		onRefusedRetry?: () => Promise<unknown>,
	): Promise<boolean> => {
		try {
			await send(
				new UpdateItemCommand({
					TableName: tableName,
					Key: keyOf(claim.tenantId, claim.id),
					UpdateExpression: updateExpression,
					ConditionExpression: condition,
					ExpressionAttributeNames: names,
					ExpressionAttributeValues: Object.fromEntries(
						values.map((placeholder) => [placeholder, claimValues[placeholder](claim)]),
					),
				}),
			)
			return true
		} catch (error) {
			if (!isConditionalCheckFailed(error)) throw error
			// The SDK retried this write: an earlier attempt the client gave up on may still be
			// applied, and must not land later as a claim (a replay's answer only stands for now).
			const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts
			if (onRefusedRetry !== undefined && attempts !== undefined && attempts > 1)
				await onRefusedRetry()
			return false
		}
	}

	return {
		async claim(claim) {
			const withdraw = () =>
				update(claim, withdrawWrite)
					.then(
						async (withdrawn) =>
							withdrawn || ((await update(claim, rememberWrite)) && update(claim, forgetOwnWrite)),
					)
					.catch(() => undefined)
			try {
				return await update(claim, claimWrite, withdraw)
			} catch (error) {
				// The write may have landed with its answer lost, or may still land: DynamoDB may
				// apply a request the client gave up on after anything sent now. The request is
				// answered 503 and its handler never runs, so the claim is withdrawn: its token joins
				// the withdrawn ones, which refuse its own write, late or not, and let any other claim
				// through (the identical retry the 503 invites must not be refused as a replay).
				await withdraw()
				throw error
			}
		},
		// Only while the record is still the one this claim wrote.
		async release(claim) {
			await update(claim, releaseWrite)
		},
	}
}
