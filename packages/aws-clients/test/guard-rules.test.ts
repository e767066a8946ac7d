import { createTenantContext } from '@tenantry/util'
import { describe, expect, it } from 'vitest'
import { guardDefaults, type ResolvedGuard, refusalFor } from '../src/dynamo-guard.js'
import { isTenantKeyInAnyForm } from '../src/dynamo-requests.js'
import { partitionKeyBinding } from '../src/key-condition.js'

const acme = createTenantContext('acme')
const mine = { S: 'TENANT#acme#order#1' }
const theirs = { S: 'TENANT#globex#order#1' }

const query = (
	KeyConditionExpression: string,
	names: Record<string, string> = {},
	values: Record<string, unknown> = { ':p': mine, ':s': { S: 'x' }, ':t': { S: 'y' } },
) => ({
	TableName: 't',
	KeyConditionExpression,
	ExpressionAttributeNames: names,
	ExpressionAttributeValues: values,
})

describe('key condition: the partition key must be proven bound to one value', () => {
	it.each<[string, Record<string, string>?]>([
		['pk = :p'],
		[':p = pk'],
		['#p = :p', { '#p': 'pk' }],
		['pk = :p AND sk = :s'],
		['pk = :p and sk > :s'],
		['sk BETWEEN :s AND :t AND pk = :p'],
		['(pk = :p) AND (begins_with(sk, :s))'],
		['((pk = :p))'],
		['  pk=:p   AND   sk<=:s  '],
		['#p = :p AND #s = :s', { '#p': 'pk', '#s': 'sk' }],
	])('proves %s', (expression, names = {}) => {
		expect(partitionKeyBinding(query(expression, names), 'pk')).toEqual({ value: mine })
	})

	it.each([
		['no condition on the key', 'sk = :s'],
		['OR', 'pk = :p OR pk = :s'],
		['NOT', 'NOT pk = :s'],
		['a function on the key', 'begins_with(pk, :p)'],
		['a range on the key', 'pk > :p'],
		['BETWEEN on the key', 'pk BETWEEN :p AND :s'],
		['<> on the key', 'pk <> :s'],
		['the key twice', 'pk = :p AND pk = :s'],
		['the key against a name', 'pk = sk'],
		['an unknown name placeholder', '#x = :p'],
		['a keyword where an attribute stands', 'pk = :p AND BETWEEN = :s'],
		// Beside a proven key too: the expression is not understood, so nothing in it is proven.
		['an unknown name placeholder beside the key', 'pk = :p AND #x = :s'],
		['an unknown value placeholder', 'pk = :nope'],
		['a trailing AND', 'pk = :p AND'],
		['unbalanced parentheses', '(pk = :p'],
		['a nested path', 'pk.a = :p'],
		['IN', 'pk IN (:p, :s)'],
		['a stray character', 'pk = :p; DROP'],
		['an upper-case function name', 'BEGINS_WITH(pk, :p)'],
		['empty', ''],
		['deep nesting', `${'('.repeat(40)}pk = :p${')'.repeat(40)}`],
		['too long', `pk = :p${' AND sk = :s'.repeat(400)}`],
	])('refuses %s', (_name, expression) => {
		expect(partitionKeyBinding(query(expression), 'pk')).toHaveProperty('reason')
	})

	it('resolves #names: a placeholder for another attribute does not count as the key', () => {
		expect(
			partitionKeyBinding(query('#a = :p AND #b = :s', { '#a': 'sk', '#b': 'pk' }), 'pk'),
		).toEqual({
			value: { S: 'x' },
		})
		expect(partitionKeyBinding(query('#p = :p', { '#p': 'pk ' }), 'pk')).toHaveProperty('reason')
	})

	it('reads the legacy KeyConditions (EQ, one value) and refuses both forms at once', () => {
		const legacy = {
			KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [mine] } },
		}
		expect(partitionKeyBinding(legacy, 'pk')).toEqual({ value: mine })
		const beginsWith = {
			KeyConditions: { pk: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [mine] } },
		}
		expect(partitionKeyBinding(beginsWith, 'pk')).toHaveProperty('reason')
		expect(
			partitionKeyBinding({ ...legacy, KeyConditionExpression: 'pk = :p' }, 'pk'),
		).toHaveProperty('reason')
		expect(partitionKeyBinding({}, 'pk')).toHaveProperty('reason')
		// EQ takes exactly one value: a list whose first names this tenant binds nothing proven.
		const twoValues = {
			KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [mine, theirs] } },
		}
		expect(partitionKeyBinding(twoValues, 'pk')).toHaveProperty('reason')
	})
})

describe('refusalFor', () => {
	const check = (operation: string, input: unknown, guard: ResolvedGuard = guardDefaults) =>
		refusalFor(operation, input, acme, guard)?.code

	it('accepts marshalled string keys with the prefix and nothing else', () => {
		expect(check('GetItem', { Key: { pk: mine } })).toBeUndefined()
		for (const value of [
			theirs,
			{ S: 'TENANT#acme' },
			{ N: '1' },
			{ B: new Uint8Array([1]) },
			{ S: mine.S, N: '1' },
			{ S: [mine.S] },
			{ M: { S: mine } },
			'TENANT#acme#order#1',
			null,
			undefined,
		]) {
			expect(check('GetItem', { Key: { pk: value } })).toBe('dynamodb_cross_tenant_key')
		}
	})

	it('checks every key of batches and transactions, across tables', () => {
		const batch = (second: unknown) => ({
			RequestItems: { a: { Keys: [{ pk: mine }] }, b: { Keys: [{ pk: second }] } },
		})
		expect(check('BatchGetItem', batch(mine))).toBeUndefined()
		expect(check('BatchGetItem', batch(theirs))).toBe('dynamodb_cross_tenant_key')
		const writes = (entry: unknown) => ({
			RequestItems: { a: [{ PutRequest: { Item: { pk: mine } } }, entry] },
		})
		expect(
			check('BatchWriteItem', writes({ DeleteRequest: { Key: { pk: mine } } })),
		).toBeUndefined()
		expect(
			check('BatchWriteItem', writes({ DeleteRequest: { Key: { pk: theirs } } })),
		).toBeDefined()
		expect(check('BatchWriteItem', writes({ FutureRequest: { Key: { pk: mine } } }))).toBeDefined()
		expect(check('BatchWriteItem', writes({}))).toBeDefined()
		const transact = (entry: unknown) => ({
			TransactItems: [{ Put: { Item: { pk: mine } } }, entry],
		})
		expect(check('TransactWriteItems', transact({ Update: { Key: { pk: mine } } }))).toBeUndefined()
		expect(
			check('TransactWriteItems', transact({ ConditionCheck: { Key: { pk: theirs } } })),
		).toBeDefined()
		expect(
			check(
				'TransactWriteItems',
				transact({ Update: { Key: { pk: mine } }, Delete: { Key: { pk: theirs } } }),
			),
		).toBeDefined()
		expect(
			check('TransactGetItems', { TransactItems: [{ Get: { Key: { pk: mine } } }] }),
		).toBeUndefined()
		expect(
			check('TransactGetItems', { TransactItems: [{ Put: { Item: { pk: mine } } }] }),
		).toBeDefined()
		expect(check('TransactGetItems', { TransactItems: 'all' })).toBeDefined()
		// Entries and tables that are not objects name no key: refused, never read through.
		expect(check('TransactWriteItems', transact(null))).toBe('dynamodb_cross_tenant_key')
		expect(check('BatchWriteItem', writes(null))).toBe('dynamodb_cross_tenant_key')
		expect(check('BatchGetItem', { RequestItems: null })).toBe('dynamodb_cross_tenant_key')
		expect(check('BatchWriteItem', { RequestItems: 'all' })).toBe('dynamodb_cross_tenant_key')
	})

	it('uses the configured partition key and index keys', () => {
		const guard = {
			...guardDefaults,
			partitionKey: 'tenantKey',
			indexes: { lsi: 'tenantKey', gsi: 'gpk' },
		}
		expect(
			check('PutItem', { Item: { tenantKey: mine, pk: { S: 'order#1' } } }, guard),
		).toBeUndefined()
		// Not the partition key, yet it may not name another tenant: it may key another table or index.
		expect(check('PutItem', { Item: { tenantKey: mine, pk: theirs } }, guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(check('PutItem', { Item: { pk: mine } }, guard)).toBe('dynamodb_cross_tenant_key')
		const onIndex = (IndexName: string, attribute: string) => ({
			IndexName,
			KeyConditionExpression: `${attribute} = :p`,
			ExpressionAttributeValues: { ':p': mine },
		})
		expect(check('Query', onIndex('lsi', 'tenantKey'), guard)).toBeUndefined()
		expect(check('Query', onIndex('gsi', 'gpk'), guard)).toBeUndefined()
		expect(check('Query', onIndex('gsi', 'tenantKey'), guard)).toBe(
			'dynamodb_key_condition_unproven',
		)
		expect(check('Query', onIndex('constructor', 'tenantKey'), guard)).toBe(
			'dynamodb_key_condition_unproven',
		)
	})

	it("refuses an update whose Key sets an index partition key outside the tenant's keys", () => {
		// An index keyed on the table's sort key: the update creates a missing item with its Key, so
		// the Key's sort key is an index partition key the write sets, and must be the tenant's.
		const guard: ResolvedGuard = { ...guardDefaults, indexes: { bySort: 'sk' } }
		const update = (sk: unknown) => ({
			Key: { pk: mine, sk },
			UpdateExpression: 'SET n = :n',
			ExpressionAttributeValues: { ':n': { N: '1' } },
		})
		expect(check('UpdateItem', update({ S: 'TENANT#acme#open' }), guard)).toBeUndefined()
		expect(check('UpdateItem', update({ S: 'open' }), guard)).toBe('dynamodb_cross_tenant_key')
		expect(
			check('TransactWriteItems', { TransactItems: [{ Update: update({ S: 'open' }) }] }, guard),
		).toBe('dynamodb_cross_tenant_key')
	})

	it('matches index key attribute names exactly, as DynamoDB does (names are case-sensitive)', () => {
		const guard: ResolvedGuard = { ...guardDefaults, indexes: { byStatus: 'GSI1PK' } }
		const update = (UpdateExpression: string) => ({
			Key: { pk: mine },
			UpdateExpression,
			ExpressionAttributeValues: { ':g': { S: 'open' } },
		})
		expect(check('UpdateItem', update('SET GSI1PK = :g'), guard)).toBe('dynamodb_cross_tenant_key')
		expect(check('UpdateItem', update('SET gsi1pk = :g'), guard)).toBeUndefined()
	})

	it('checks every index partition key a write sets, whatever the write', () => {
		const guard: ResolvedGuard = { ...guardDefaults, indexes: { byStatus: 'gsi1pk', lsi: 'pk' } }
		const own = { S: 'TENANT#acme#open' }
		const key = { pk: mine }
		const update = (
			UpdateExpression: string,
			values: Record<string, unknown> = {},
			names?: Record<string, string>,
		) => ({
			Key: key,
			UpdateExpression,
			ExpressionAttributeValues: values,
			...(names ? { ExpressionAttributeNames: names } : {}),
		})
		expect(check('PutItem', { Item: { pk: mine, gsi1pk: own } }, guard)).toBeUndefined()
		expect(check('PutItem', { Item: { pk: mine } }, guard)).toBeUndefined()
		expect(check('PutItem', { Item: { pk: mine, gsi1pk: { N: '1' } } }, guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(
			check('UpdateItem', update('SET #g = :g', { ':g': own }, { '#g': 'gsi1pk' }), guard),
		).toBeUndefined()
		expect(
			check('UpdateItem', update('set gsi1pk = if_not_exists(gsi1pk, :g)', { ':g': own }), guard),
		).toBeUndefined()
		expect(
			check(
				'UpdateItem',
				update('REMOVE gsi1pk SET total = total + :one', { ':one': { N: '1' } }),
				guard,
			),
		).toBeUndefined()
		expect(
			check(
				'UpdateItem',
				update('SET gsi1pk = if_not_exists(gsi1pk, :g)', { ':g': theirs }),
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		expect(
			check('UpdateItem', update('SET gsi1pk = if_not_exists(other, :g)', { ':g': own }), guard),
		).toBe('dynamodb_cross_tenant_key')
		expect(
			check('UpdateItem', update('SET gsi1pk = :a + :b', { ':a': own, ':b': own }), guard),
		).toBe('dynamodb_cross_tenant_key')
		expect(check('UpdateItem', update('ADD gsi1pk :s', { ':s': { SS: ['x'] } }), guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(check('UpdateItem', update('SET gsi1pk.x = :g', { ':g': own }), guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(check('UpdateItem', update('SET #unknown = :g', { ':g': theirs }), guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(check('UpdateItem', update('SET a = (:g', { ':g': own }), guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(check('UpdateItem', update('gsi1pk = :g', { ':g': own }), guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(
			check(
				'UpdateItem',
				{ Key: key, AttributeUpdates: { gsi1pk: { Action: 'PUT', Value: theirs } } },
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		expect(
			check(
				'UpdateItem',
				{
					Key: key,
					AttributeUpdates: { gsi1pk: { Value: own }, other: { Action: 'ADD', Value: { N: '1' } } },
				},
				guard,
			),
		).toBeUndefined()
		expect(
			check('UpdateItem', { Key: key, AttributeUpdates: { gsi1pk: { Action: 'DELETE' } } }, guard),
		).toBeUndefined()
		// A `)` closing nothing (balanced later by a `(`) would hide the actions after it from the split.
		expect(
			check(
				'UpdateItem',
				update('SET a = :x), gsi1pk = (:g', { ':x': { N: '1' }, ':g': { S: 'open' } }),
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		// Every item of a batch: the second PutRequest sets an index key outside the tenant's keys.
		const put = (Item: unknown) => ({ PutRequest: { Item } })
		expect(
			check(
				'BatchWriteItem',
				{
					RequestItems: {
						t: [put({ pk: mine, gsi1pk: own }), put({ pk: mine, gsi1pk: { S: 'open' } })],
					},
				},
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		// One `=` per SET action: anything else is not an assignment the guard can read.
		expect(
			check('UpdateItem', update('SET gsi1pk = :g = :h', { ':g': own, ':h': own }), guard),
		).toBe('dynamodb_cross_tenant_key')
		// A SET action whose target is no attribute path (a value placeholder) names nothing.
		expect(check('UpdateItem', update('SET :g = gsi1pk', { ':g': own }), guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		// An attribute the guard cannot name may be the index key: refused, whatever the value.
		expect(check('UpdateItem', update('SET #unknown = :g', { ':g': { S: 'open' } }), guard)).toBe(
			'dynamodb_cross_tenant_key',
		)
		// Text before the first clause belongs to no clause: unreadable, not skipped.
		expect(
			check(
				'UpdateItem',
				update('gsi1pk = :g SET total = :one', { ':g': { S: 'open' }, ':one': { N: '1' } }),
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		// Past DynamoDB's 4 KB expression limit nothing is parsed: refused unread, however benign.
		expect(
			check('UpdateItem', update(`SET gsi1pk = :g${', a = :g'.repeat(600)}`, { ':g': own }), guard),
		).toBe('dynamodb_cross_tenant_key')
		// An update without Action is a PUT (the API's default): its value is the index key.
		expect(
			check(
				'UpdateItem',
				{ Key: key, AttributeUpdates: { gsi1pk: { Value: { S: 'open' } } } },
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		// Only PUT stores the value as given: ADD combines it with what the item holds, so even a
		// value of the tenant's own cannot tell what the index key becomes.
		expect(
			check(
				'UpdateItem',
				{ Key: key, AttributeUpdates: { gsi1pk: { Action: 'ADD', Value: own } } },
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		// An update creates a missing item from its Key: an index keyed on the table's sort key.
		const inverted: ResolvedGuard = { ...guardDefaults, indexes: { inverted: 'sk' } }
		const plantingKey = { pk: mine, sk: theirs }
		expect(check('UpdateItem', { Key: plantingKey }, inverted)).toBe('dynamodb_cross_tenant_key')
		expect(
			check(
				'TransactWriteItems',
				{
					TransactItems: [
						{
							Update: {
								Key: plantingKey,
								UpdateExpression: 'SET a = :a',
								ExpressionAttributeValues: { ':a': { S: 'x' } },
							},
						},
					],
				},
				inverted,
			),
		).toBe('dynamodb_cross_tenant_key')
		expect(
			check('UpdateItem', update('SET a = :a', { ':a': own }), {
				...inverted,
				indexes: { inverted: 'sk' },
			}),
		).toBeUndefined()
		expect(check('UpdateItem', { Key: { pk: mine, sk: own } }, inverted)).toBeUndefined()
		// Clause keywords inside placeholders and paths are not clauses.
		expect(
			check(
				'UpdateItem',
				update(
					'SET #set = #set + :add, a.delete = :remove',
					{
						':add': { N: '1' },
						':remove': { S: 'x' },
					},
					{ '#set': 'qty' },
				),
				guard,
			),
		).toBeUndefined()
		expect(
			check('UpdateItem', update('SET #g = :set', { ':set': theirs }, { '#g': 'gsi1pk' }), guard),
		).toBe('dynamodb_cross_tenant_key')
		const transact = (entry: Record<string, unknown>) => ({
			TransactItems: [{ Put: { TableName: 't', Item: { pk: mine } } }, entry],
		})
		expect(
			check(
				'TransactWriteItems',
				transact({ Put: { TableName: 't', Item: { pk: mine, gsi1pk: theirs } } }),
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		expect(
			check(
				'TransactWriteItems',
				transact({ Update: { TableName: 't', ...update('SET gsi1pk = :g', { ':g': theirs }) } }),
				guard,
			),
		).toBe('dynamodb_cross_tenant_key')
		expect(
			check(
				'TransactWriteItems',
				transact({ Update: { TableName: 't', ...update('SET gsi1pk = :g', { ':g': own }) } }),
				guard,
			),
		).toBeUndefined()
	})

	it('refuses Scan, unknown and unnamed operations by default', () => {
		expect(check('Scan', {})).toBe('dynamodb_scan_refused')
		expect(check('Scan', {}, { ...guardDefaults, allowScan: true })).toBeUndefined()
		for (const operation of [
			'ExecuteStatement',
			'BatchExecuteStatement',
			'ExecuteTransaction',
			'DeleteTable',
			'',
		]) {
			expect(check(operation, {})).toBe('dynamodb_command_refused')
		}
	})
})

describe('refusalFor: strings a write stores', () => {
	const check = (operation: string, input: unknown) =>
		refusalFor(operation, input, acme, guardDefaults)?.code
	/** The rules ahead of credential resolution, on a document command's input as written. */
	const precheck = (operation: string, input: unknown) =>
		refusalFor(operation, input, acme, guardDefaults, isTenantKeyInAnyForm)?.code

	it("refuses an update whose Key's sort key names another tenant: the update creates that item", () => {
		expect(
			check('UpdateItem', {
				Key: { pk: mine, sk: { S: 'TENANT#globex#open' } },
				UpdateExpression: 'SET #o = :o',
				ExpressionAttributeNames: { '#o': 'owner' },
				ExpressionAttributeValues: { ':o': { S: 'acme' } },
			}),
		).toBe('dynamodb_cross_tenant_key')
	})

	it("refuses a document command's strings before credentials: nested in a map, or String objects", () => {
		const pk = 'TENANT#acme#order#1'
		expect(precheck('PutItem', { Item: { pk, meta: { ref: 'TENANT#globex#open' } } })).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(precheck('PutItem', { Item: { pk, gsi1pk: new String('TENANT#globex#open') } })).toBe(
			'dynamodb_cross_tenant_key',
		)
		expect(precheck('PutItem', { Item: { pk, meta: { ref: `${pk}#x` } } })).toBeUndefined()
	})

	it('reads every element of a list or string set, not only the first', () => {
		const refs = (first: unknown, second: unknown) => ({
			Item: { pk: mine, refs: { L: [first, second] } },
		})
		expect(check('PutItem', refs({ S: 'plain' }, theirs))).toBe('dynamodb_cross_tenant_key')
		expect(
			check('PutItem', { Item: { pk: mine, tags: { SS: ['plain', 'TENANT#globex#open'] } } }),
		).toBe('dynamodb_cross_tenant_key')
		expect(check('PutItem', refs({ S: 'plain' }, mine))).toBeUndefined()
	})

	it('refuses an item nested deeper than DynamoDB stores, rather than walk it', () => {
		let deep: unknown = { S: 'plain' }
		for (let level = 0; level < 10_000; level++) deep = { M: { a: deep } }
		expect(check('PutItem', { Item: { pk: mine, deep } })).toBe('dynamodb_cross_tenant_key')
	})

	// Every tenant's key is `TENANT#<id>#…` with an id free of `#`: text without that shape cannot
	// be the value a Query of any tenant binds, so it is the tenant's to store.
	it.each(['TENANT#acme', 'TENANT#', 'TENANT# is our plan name', 'TENANT##x'])(
		'stores %j, which is no tenant key',
		(text) => {
			expect(check('PutItem', { Item: { pk: mine, note: { S: text } } })).toBeUndefined()
		},
	)
})
