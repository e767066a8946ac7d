import { own } from '@tenantry/util'
import { isRecord } from './read.js'

/**
 * Every partition key value a DynamoDB request names, by operation, as the SDK is about
 * to serialise it (marshalled `AttributeValue`s). A request whose shape is not the
 * documented one yields `undefined`: the guard cannot prove it and refuses it.
 */
export type KeyedOperation =
	| 'GetItem'
	| 'PutItem'
	| 'UpdateItem'
	| 'DeleteItem'
	| 'BatchGetItem'
	| 'BatchWriteItem'
	| 'TransactGetItems'
	| 'TransactWriteItems'

export const keyedOperations: readonly KeyedOperation[] = [
	'GetItem',
	'PutItem',
	'UpdateItem',
	'DeleteItem',
	'BatchGetItem',
	'BatchWriteItem',
	'TransactGetItems',
	'TransactWriteItems',
]

/** The item or key map of each kind of sub-request, e.g. `Put` → `Item`. */
const keyHolders: Record<string, 'Key' | 'Item'> = {
	Get: 'Key',
	ConditionCheck: 'Key',
	Put: 'Item',
	Delete: 'Key',
	Update: 'Key',
	PutRequest: 'Item',
	DeleteRequest: 'Key',
}

/** `{ Put: { Item } }` → the partition key of `Item`; only the listed kinds are understood. */
const fromSubRequests = (
	entry: unknown,
	kinds: readonly string[],
	partitionKey: string,
): unknown[] | undefined => {
	if (!isRecord(entry)) return undefined
	// The SDK serialises no member whose value is null or undefined.
	const names = Object.keys(entry).filter((name) => entry[name] != null)
	if (names.length === 0 || names.some((name) => !kinds.includes(name))) return undefined
	return names.map((name) => own(own(entry[name], keyHolders[name] as string), partitionKey))
}

const everyEntry = (
	list: unknown,
	read: (entry: unknown) => unknown[] | undefined,
): unknown[] | undefined => {
	if (!Array.isArray(list)) return undefined
	const values: unknown[] = []
	for (const entry of list) {
		const found = read(entry)
		if (found === undefined) return undefined
		values.push(...found)
	}
	return values
}

const everyTable = (
	requestItems: unknown,
	read: (perTable: unknown) => unknown[] | undefined,
): unknown[] | undefined => {
	if (!isRecord(requestItems)) return undefined
	const values: unknown[] = []
	for (const perTable of Object.values(requestItems)) {
		const found = read(perTable)
		if (found === undefined) return undefined
		values.push(...found)
	}
	return values
}

export const partitionKeyValues = (
	operation: KeyedOperation,
	input: unknown,
	partitionKey: string,
): unknown[] | undefined => {
	switch (operation) {
		case 'GetItem':
		case 'UpdateItem':
		case 'DeleteItem':
			return [own(own(input, 'Key'), partitionKey)]
		case 'PutItem':
			return [own(own(input, 'Item'), partitionKey)]
		case 'BatchGetItem':
			return everyTable(own(input, 'RequestItems'), (perTable) =>
				everyEntry(own(perTable, 'Keys'), (key) => [own(key, partitionKey)]),
			)
		case 'BatchWriteItem':
			return everyTable(own(input, 'RequestItems'), (writes) =>
				everyEntry(writes, (write) =>
					fromSubRequests(write, ['PutRequest', 'DeleteRequest'], partitionKey),
				),
			)
		case 'TransactGetItems':
			return everyEntry(own(input, 'TransactItems'), (item) =>
				fromSubRequests(item, ['Get'], partitionKey),
			)
		case 'TransactWriteItems':
			return everyEntry(own(input, 'TransactItems'), (item) =>
				fromSubRequests(item, ['ConditionCheck', 'Put', 'Delete', 'Update'], partitionKey),
			)
	}
}

/** Tells whether an attribute value is a key of the tenant whose key prefix is given. */
export type TenantKeyTest = (value: unknown, keyPrefix: string) => boolean

/** Whether a marshalled value is a string starting with the tenant's key prefix. */
export const isTenantKey: TenantKeyTest = (value, keyPrefix) => {
	if (!isRecord(value)) return false
	const keys = Object.keys(value)
	const text = value.S
	return (
		keys.length === 1 && keys[0] === 'S' && typeof text === 'string' && text.startsWith(keyPrefix)
	)
}

/**
 * Whether a value is the tenant's key either marshalled (`{ S }`) or as a `DynamoDBDocumentClient`
 * command holds it before marshalling (a plain string). For the check ahead of credential
 * resolution, which runs before a document command's input is marshalled; the check on the
 * marshalled input still follows.
 */
export const isTenantKeyInAnyForm: TenantKeyTest = (value, keyPrefix) =>
	(isMarshalledAsString(value) && String(value).startsWith(keyPrefix)) ||
	isTenantKey(value, keyPrefix)

/**
 * What `@aws-sdk/util-dynamodb` marshalls to `{ S: value.toString() }`: a string, or an object
 * whose constructor is named `String`. The precheck may only refuse what the guard on the
 * marshalled input would refuse too.
 */
const isMarshalledAsString = (value: unknown): boolean =>
	typeof value === 'string' ||
	(typeof value === 'object' &&
		value !== null &&
		(value as { constructor?: { name?: unknown } }).constructor?.name === 'String')

const tenantInKey = /^TENANT#([^#]{1,128})#/

/** The tenant id a `TENANT#<id>#…` key names, for the violation report; never the key itself. */
export const tenantNamedBy = (value: unknown): string | undefined => {
	const text = typeof value === 'string' ? value : own(value, 'S')
	return typeof text === 'string' ? tenantInKey.exec(text)?.[1] : undefined
}
