import { own } from '@tenantry/util'
import { isRecord } from './read.js'

/**
 * Finds the value a `KeyConditionExpression` binds the partition key to, or says why it
 * cannot. It parses the whole expression with DynamoDB's key condition grammar:
 *
 *     condition := term (AND term)*
 *     term      := '(' condition ')' | operand comparator operand
 *                | operand BETWEEN operand AND operand | begins_with '(' operand ',' operand ')'
 *
 * and accepts only an expression where exactly one comparison names the partition key,
 * as `key = :value`. Anything else (OR, NOT, functions on the key, a second condition on
 * it, unknown placeholders) is refused: the guard must prove the partition, not guess it.
 */

type Token =
	| { kind: 'punct'; text: '(' | ')' | ',' }
	| { kind: 'comparator'; text: string }
	| { kind: 'nameRef'; text: string }
	| { kind: 'valueRef'; text: string }
	| { kind: 'word'; text: string }

type Operand = { kind: 'name'; name: string } | { kind: 'value'; ref: string }

interface Comparison {
	operator: string
	operands: Operand[]
}

class Unprovable extends Error {}

const maxExpressionLength = 4_096
const maxDepth = 16
const tokenPattern =
	/\s*(?:([(),])|(<>|<=|>=|=|<|>)|(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*))/y

const tokenize = (expression: string): Token[] => {
	const tokens: Token[] = []
	tokenPattern.lastIndex = 0
	while (tokenPattern.lastIndex < expression.length) {
		const start = tokenPattern.lastIndex
		const match = tokenPattern.exec(expression)
		if (match === null) {
			if (expression.slice(start).trim() === '') break
			throw new Unprovable('unexpected character')
		}
		const [, punct, comparator, nameRef, valueRef, word] = match
		if (punct) tokens.push({ kind: 'punct', text: punct as '(' | ')' | ',' })
		else if (comparator) tokens.push({ kind: 'comparator', text: comparator })
		else if (nameRef) tokens.push({ kind: 'nameRef', text: nameRef })
		else if (valueRef) tokens.push({ kind: 'valueRef', text: valueRef })
		else if (word) tokens.push({ kind: 'word', text: word })
	}
	return tokens
}

const isKeyword = (token: Token | undefined, keyword: string): boolean =>
	token?.kind === 'word' && token.text.toUpperCase() === keyword

const parse = (tokens: Token[], names: unknown): Comparison[] => {
	let position = 0
	const comparisons: Comparison[] = []
	const next = () => tokens[position++]
	const expectPunct = (text: string) => {
		const token = next()
		if (token?.kind !== 'punct' || token.text !== text) throw new Unprovable(`expected '${text}'`)
	}
	const operand = (): Operand => {
		const token = next()
		if (token?.kind === 'valueRef') return { kind: 'value', ref: token.text }
		if (token?.kind === 'nameRef') {
			const name = own(names, token.text)
			if (typeof name !== 'string') throw new Unprovable(`unknown name placeholder`)
			return { kind: 'name', name }
		}
		if (token?.kind === 'word' && !isKeyword(token, 'AND') && !isKeyword(token, 'BETWEEN'))
			return { kind: 'name', name: token.text }
		throw new Unprovable('expected an attribute or a value')
	}
	const term = (depth: number): void => {
		const token = tokens[position]
		if (token?.kind === 'punct' && token.text === '(') {
			position++
			condition(depth + 1)
			expectPunct(')')
			return
		}
		if (token?.kind === 'word' && token.text === 'begins_with') {
			position++
			expectPunct('(')
			const subject = operand()
			expectPunct(',')
			const prefix = operand()
			expectPunct(')')
			comparisons.push({ operator: 'begins_with', operands: [subject, prefix] })
			return
		}
		const left = operand()
		const following = next()
		if (following?.kind === 'comparator') {
			comparisons.push({ operator: following.text, operands: [left, operand()] })
			return
		}
		if (isKeyword(following, 'BETWEEN')) {
			const low = operand()
			if (!isKeyword(next(), 'AND')) throw new Unprovable('expected AND in BETWEEN')
			comparisons.push({ operator: 'between', operands: [left, low, operand()] })
			return
		}
		throw new Unprovable('expected a comparison')
	}
	const condition = (depth: number): void => {
		if (depth > maxDepth) throw new Unprovable('too deeply nested')
		term(depth)
		while (isKeyword(tokens[position], 'AND')) {
			position++
			term(depth)
		}
	}
	condition(0)
	if (position !== tokens.length) throw new Unprovable('only AND may join key conditions')
	return comparisons
}

export type PartitionBinding = { value: unknown } | { reason: string }

export const partitionKeyBinding = (input: unknown, partitionKey: string): PartitionBinding => {
	const expression = own(input, 'KeyConditionExpression')
	const legacy = own(input, 'KeyConditions')
	if (expression !== undefined && legacy !== undefined)
		return { reason: 'both KeyConditionExpression and KeyConditions' }
	if (legacy !== undefined) return legacyBinding(legacy, partitionKey)
	if (typeof expression !== 'string' || expression.length > maxExpressionLength)
		return { reason: 'no usable KeyConditionExpression' }
	try {
		const comparisons = parse(tokenize(expression), own(input, 'ExpressionAttributeNames'))
		const onKey = comparisons.filter((c) =>
			c.operands.some((o) => o.kind === 'name' && o.name === partitionKey),
		)
		const [binding] = onKey
		if (binding === undefined || onKey.length > 1)
			return { reason: 'the partition key is not bound exactly once' }
		const [left, right] = binding.operands
		const value = left?.kind === 'value' ? left : right?.kind === 'value' ? right : undefined
		const other = value === left ? right : left
		if (binding.operator !== '=' || value === undefined || other?.kind !== 'name')
			return { reason: 'the partition key is not bound with =' }
		const values = own(input, 'ExpressionAttributeValues')
		if (!isRecord(values) || !Object.hasOwn(values, value.ref))
			return { reason: 'unknown value placeholder' }
		return { value: values[value.ref] }
	} catch (error) {
		if (error instanceof Unprovable) return { reason: error.message }
		throw error
	}
}

const legacyBinding = (conditions: unknown, partitionKey: string): PartitionBinding => {
	const condition = own(conditions, partitionKey)
	const values = own(condition, 'AttributeValueList')
	if (
		own(condition, 'ComparisonOperator') !== 'EQ' ||
		!Array.isArray(values) ||
		values.length !== 1
	)
		return { reason: 'KeyConditions does not bind the partition key with EQ' }
	return { value: values[0] }
}
