import { own } from '@tenantry/util'
import type { KeyedOperation, TenantKeyTest } from './dynamo-requests.js'
import { isRecord } from './read.js'

/**
 * Writes must not put another tenant's prefix into an index partition key: the guard trusts
 * that key when a Query reads the index, so a write planting `TENANT#globex#…` there would put
 * an item into globex's view of the index. Every index partition key a write sets must
 * therefore be a key of the writing tenant.
 */
export type IndexKeyFinding = { claimed: unknown; reason: string } | undefined

const maxExpressionLength = 4_096

/** Items a write stores: PutItem, BatchWriteItem's PutRequests, TransactWriteItems' Puts. */
export const storedItems = (operation: KeyedOperation, input: unknown): unknown[] => {
	if (operation === 'PutItem') return [own(input, 'Item')]
	if (operation === 'BatchWriteItem') {
		const tables = own(input, 'RequestItems')
		return isRecord(tables)
			? Object.values(tables).flatMap((writes) =>
					Array.isArray(writes) ? writes.map((write) => own(own(write, 'PutRequest'), 'Item')) : [],
				)
			: []
	}
	if (operation === 'TransactWriteItems') {
		const items = own(input, 'TransactItems')
		return Array.isArray(items) ? items.map((item) => own(own(item, 'Put'), 'Item')) : []
	}
	return []
}

/** Update requests: UpdateItem itself and TransactWriteItems' Updates. */
export const updateRequests = (operation: KeyedOperation, input: unknown): unknown[] => {
	if (operation === 'UpdateItem') return [input]
	if (operation === 'TransactWriteItems') {
		const items = own(input, 'TransactItems')
		return Array.isArray(items)
			? items.map((item) => own(item, 'Update')).filter((update) => update !== undefined)
			: []
	}
	return []
}

/** Splits at `separator` outside parentheses and brackets. */
const splitTopLevel = (text: string, separator: RegExp): string[] | undefined => {
	const parts: string[] = []
	let depth = 0
	let start = 0
	for (let index = 0; index < text.length; index++) {
		const char = text[index] as string
		if (char === '(' || char === '[') depth++
		else if (char === ')' || char === ']') depth--
		if (depth < 0) return undefined
		if (depth === 0 && separator.test(char)) {
			parts.push(text.slice(start, index))
			start = index + 1
		}
	}
	if (depth !== 0) return undefined
	parts.push(text.slice(start))
	return parts
}

/** A clause keyword, not a name or value placeholder (`#set`, `:add`) or a nested path (`a.delete`). */
const clausePattern = /(?<![#:.\w])(SET|REMOVE|ADD|DELETE)\b/gi

/** `SET a = :v, b = :w REMOVE c` → [['SET', 'a = :v, b = :w'], ['REMOVE', 'c']]; parentheses never hold a clause keyword. */
const clausesOf = (expression: string): [string, string][] | undefined => {
	const marks = [...expression.matchAll(clausePattern)]
	if (marks.length === 0 || expression.slice(0, marks[0]?.index).trim() !== '') return undefined
	return marks.map((mark, index) => {
		const start = (mark.index ?? 0) + mark[0].length
		const end = marks[index + 1]?.index ?? expression.length
		return [mark[0].toUpperCase(), expression.slice(start, end)]
	})
}

/** The top-level attribute a path starts with (`#g.x[0]` → what `#g` names), `undefined` if unknown. */
const attributeOf = (path: string, names: unknown): string | undefined => {
	const first = /^\s*([#A-Za-z_][A-Za-z0-9_]*)/.exec(path)?.[1]
	if (first === undefined) return undefined
	if (!first.startsWith('#')) return first
	const name = own(names, first)
	return typeof name === 'string' ? name : undefined
}

const isWholeAttribute = (path: string): boolean => /^\s*[#A-Za-z_][A-Za-z0-9_]*\s*$/.test(path)

/** What an update sets an index partition key to, or why it cannot be told. */
const updateFinding = (
	update: unknown,
	indexKeys: ReadonlySet<string>,
	keyPrefix: string,
	isOwnKey: TenantKeyTest,
): IndexKeyFinding => {
	const legacy = own(update, 'AttributeUpdates')
	if (isRecord(legacy)) {
		for (const [name, change] of Object.entries(legacy)) {
			if (!indexKeys.has(name) || change == null) continue
			const action = own(change, 'Action') ?? 'PUT'
			if (action === 'DELETE') continue
			const value = own(change, 'Value')
			if (action !== 'PUT' || !isOwnKey(value, keyPrefix)) return { claimed: value, reason: name }
		}
	}
	const expression = own(update, 'UpdateExpression')
	if (expression === undefined) return undefined
	if (typeof expression !== 'string' || expression.length > maxExpressionLength)
		return { claimed: undefined, reason: 'unreadable UpdateExpression' }
	const names = own(update, 'ExpressionAttributeNames')
	const values = own(update, 'ExpressionAttributeValues')
	const clauses = clausesOf(expression)
	if (clauses === undefined) return { claimed: undefined, reason: 'unreadable UpdateExpression' }
	for (const [action, body] of clauses) {
		const actions = splitTopLevel(body, /,/)
		if (actions === undefined) return { claimed: undefined, reason: 'unbalanced UpdateExpression' }
		for (const item of actions) {
			const [path = '', ...rest] = action === 'SET' ? (splitTopLevel(item, /=/) ?? []) : [item]
			const attribute = attributeOf(path, names)
			if (attribute === undefined)
				return { claimed: undefined, reason: 'unknown attribute in UpdateExpression' }
			if (!indexKeys.has(attribute) || action === 'REMOVE') continue
			if (action !== 'SET' || !isWholeAttribute(path) || rest.length !== 1)
				return { claimed: undefined, reason: `${action} on index key ${attribute}` }
			const operand = (rest[0] as string).trim()
			const ifNotExists =
				/^if_not_exists\s*\(\s*([#A-Za-z_][A-Za-z0-9_]*)\s*,\s*(:[A-Za-z0-9_]+)\s*\)$/.exec(operand)
			const ref =
				ifNotExists && attributeOf(ifNotExists[1] as string, names) === attribute
					? ifNotExists[2]
					: /^:[A-Za-z0-9_]+$/.test(operand)
						? operand
						: undefined
			const value = ref === undefined ? undefined : own(values, ref)
			if (!isOwnKey(value, keyPrefix))
				return { claimed: value, reason: `SET on index key ${attribute}` }
		}
	}
	return undefined
}

/** An index partition key that `attributes` (an item or a key) set outside the tenant's prefix. */
const foreignIndexKey = (
	attributes: unknown,
	indexKeys: ReadonlySet<string>,
	keyPrefix: string,
	isOwnKey: TenantKeyTest,
): IndexKeyFinding => {
	if (!isRecord(attributes)) return undefined
	for (const key of indexKeys) {
		const value = own(attributes, key)
		// The SDK sends no attribute for a null or undefined map value (nor does a document
		// client with removeUndefinedValues): such an item sets no index key.
		if (value != null && !isOwnKey(value, keyPrefix)) return { claimed: value, reason: key }
	}
	return undefined
}

/** The first index partition key a write would set outside the tenant's prefix, if any. */
export const indexKeyFinding = (
	operation: KeyedOperation,
	input: unknown,
	indexKeys: ReadonlySet<string>,
	keyPrefix: string,
	isOwnKey: TenantKeyTest,
): IndexKeyFinding => {
	if (indexKeys.size === 0) return undefined
	for (const item of storedItems(operation, input)) {
		const finding = foreignIndexKey(item, indexKeys, keyPrefix, isOwnKey)
		if (finding !== undefined) return finding
	}
	for (const update of updateRequests(operation, input)) {
		// An update creates a missing item with the attributes of its Key, and a table key (often
		// the sort key) may be an index's partition key.
		const finding =
			foreignIndexKey(own(update, 'Key'), indexKeys, keyPrefix, isOwnKey) ??
			updateFinding(update, indexKeys, keyPrefix, isOwnKey)
		if (finding !== undefined) return finding
	}
	return undefined
}
