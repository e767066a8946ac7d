import { own } from '@tenantry/util'
import type { KeyedOperation } from './dynamo-requests.js'
import { storedItems, updateRequests } from './index-keys.js'
import { isRecord } from './read.js'

/**
 * A write must not store a string that names another tenant (`TENANT#<other>#…`), wherever in
 * the item. A Query of that tenant binds some key attribute to its own `TENANT#<other>#…`
 * value and trusts every item under it to be its own, yet the checks on index partition keys
 * (`indexKeyFinding`) only know the indexes listed in this handler's `indexes`: an index that
 * only another handler or service queries, or another table whose partition key is not named
 * `partitionKey` (`PutItem` to a table keyed by `id` stores `id` as given), would show the
 * item in the other tenant's partition. Nested strings count too: `SET gsi1pk = meta.ref`
 * copies one to the top level. Values of an update's `ExpressionAttributeValues` count whatever
 * they are used for: the guard does not tell a condition's values from stored ones.
 */
export type StoredKeyFinding = { claimed: unknown; reason: string } | undefined

/**
 * The shape of every tenant's keys: `TENANT#<id>#`, an id never holding `#`. A Query binds its
 * key to a value of this shape, so only such a string can show in another tenant's view; text
 * that merely opens with `TENANT#` (`TENANT#acme` without its `#`, what a user typed) is stored.
 */
const tenantKeyShape = /^TENANT#[^#]+#/
/** Deeper than DynamoDB's 32 levels of nesting (two objects each, marshalled): refused, not walked. */
const maxDepth = 100

/** The text of a string value: marshalled (`{ S }`), or as a document command holds it. */
const textOf = (value: unknown): unknown =>
	typeof value === 'string' || value instanceof String ? String(value) : own(value, 'S')

const namesAnotherTenant = (text: unknown, keyPrefix: string): boolean =>
	typeof text === 'string' && tenantKeyShape.test(text) && !text.startsWith(keyPrefix)

/** The first string in `value` (an attribute value, any form, nested in `M`, `L`, `SS`) naming another tenant. */
const foreignString = (value: unknown, keyPrefix: string, depth = 0): unknown => {
	if (depth > maxDepth) return value
	if (namesAnotherTenant(textOf(value), keyPrefix)) return value
	if (Array.isArray(value)) {
		for (const element of value) {
			const found = foreignString(element, keyPrefix, depth + 1)
			if (found !== undefined) return found
		}
		return undefined
	}
	if (!isRecord(value) || value instanceof String || ArrayBuffer.isView(value)) return undefined
	// Marshalled `{ M }`, `{ L }`, `{ SS }`, or a document command's plain map; both are walked.
	for (const nested of Object.values(value)) {
		if (nested === null || typeof nested !== 'object') {
			if (namesAnotherTenant(nested, keyPrefix)) return nested
			continue
		}
		const found = foreignString(nested, keyPrefix, depth + 1)
		if (found !== undefined) return found
	}
	return undefined
}

const foreignIn = (attributes: unknown, keyPrefix: string, where: string): StoredKeyFinding => {
	if (!isRecord(attributes)) return undefined
	for (const [name, value] of Object.entries(attributes)) {
		const claimed = value == null ? undefined : foreignString(value, keyPrefix)
		if (claimed !== undefined) return { claimed, reason: `${where} ${name} names another tenant` }
	}
	return undefined
}

/** The first string naming another tenant that a write would store, if any. */
export const storedKeyFinding = (
	operation: KeyedOperation,
	input: unknown,
	keyPrefix: string,
): StoredKeyFinding => {
	for (const item of storedItems(operation, input)) {
		const finding = foreignIn(item, keyPrefix, 'attribute')
		if (finding !== undefined) return finding
	}
	for (const update of updateRequests(operation, input)) {
		const legacy = own(update, 'AttributeUpdates')
		const legacyValues = isRecord(legacy)
			? Object.fromEntries(
					Object.entries(legacy).map(([name, change]) => [name, own(change, 'Value')]),
				)
			: undefined
		// An update creates a missing item with the attributes of its Key.
		const finding =
			foreignIn(own(update, 'Key'), keyPrefix, 'key') ??
			foreignIn(own(update, 'ExpressionAttributeValues'), keyPrefix, 'value') ??
			foreignIn(legacyValues, keyPrefix, 'attribute')
		if (finding !== undefined) return finding
	}
	return undefined
}
