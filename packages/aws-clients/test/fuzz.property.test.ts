import {
	BatchGetItemCommand,
	BatchWriteItemCommand,
	DeleteItemCommand,
	DescribeTableCommand,
	DynamoDBClient,
	ExecuteStatementCommand,
	GetItemCommand,
	PutItemCommand,
	QueryCommand,
	ScanCommand,
	TransactGetItemsCommand,
	TransactWriteItemsCommand,
	UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import {
	BatchGetCommand,
	BatchWriteCommand,
	DeleteCommand,
	QueryCommand as DocQueryCommand,
	ScanCommand as DocScanCommand,
	DynamoDBDocumentClient,
	GetCommand,
	PutCommand,
	TransactGetCommand,
	TransactWriteCommand,
	UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clearClientCache } from '../src/index.js'
import { pipeline, type Stack, startStack, table } from './harness.js'

const prefix = 'TENANT#acme#'

/** Stands in for the network: records what would have been sent and sends nothing. */
class NotSent extends Error {}
const recorded: { target: string; body: Record<string, unknown> }[] = []
const recorder = {
	metadata: { handlerProtocol: 'http/1.1' },
	handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
		recorded.push({
			target: request.headers['x-amz-target'] ?? '',
			body: JSON.parse(new TextDecoder().decode(request.body as Uint8Array)),
		})
		throw new NotSent('recorded')
	},
	updateHttpClientConfig: () => undefined,
	httpHandlerConfigs: () => ({}),
}

let stack: Stack
/** acme's guarded clients, as a handler gets them from awsClients. */
let recording: DynamoDBClient
let live: DynamoDBClient

const clientsOf = async (perClient: Record<string, unknown>): Promise<DynamoDBClient> => {
	let client: DynamoDBClient | undefined
	const { invoke } = pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { maxAttempts: 1, ...perClient } },
		},
		async (context) => {
			client = context.clients.dynamodb
		},
	)
	await invoke('acme')
	return client as DynamoDBClient
}

beforeAll(async () => {
	stack = await startStack()
	clearClientCache()
	recording = await clientsOf({ requestHandler: recorder })
	live = await clientsOf({ endpoint: stack.dynamodb.endpoint })
})
afterAll(() => stack.stop())

const keyText = fc.oneof(
	fc.constantFrom('TENANT#acme#a', 'TENANT#acme#b#c', 'TENANT#acme#'),
	fc.string({ maxLength: 12 }).map((s) => `${prefix}${s}`),
	fc.constantFrom(
		'TENANT#globex#a',
		'TENANT#acme',
		'TENANT#acmex#a',
		'tenant#acme#a',
		'',
		'#',
		'TENANT##a',
	),
	fc.string({ maxLength: 12 }).map((s) => `TENANT#${s}#x`),
	fc.string({ maxLength: 20 }),
)

/** A partition key value as a handler might pass it: mostly strings, sometimes anything. */
const nativeValue = fc.oneof(
	{ weight: 8, arbitrary: keyText },
	{ weight: 1, arbitrary: fc.integer() },
	{ weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) },
)
const marshalledValue = fc.oneof(
	{ weight: 8, arbitrary: keyText.map((S) => ({ S })) },
	{ weight: 1, arbitrary: fc.integer().map((n) => ({ N: String(n) })) },
	{ weight: 1, arbitrary: keyText.map((S) => ({ S, N: '1' })) },
	{ weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
)

interface Case {
	client: 'raw' | 'doc'
	operation: string
	/** Shown in counterexamples. */
	input?: unknown
	send: (client: DynamoDBClient) => Promise<unknown>
}

const keyOf = (pk: unknown, raw: boolean) => (raw ? { pk, sk: { S: 's' } } : { pk, sk: 's' })

/** Random inputs for every operation the guard knows, and a few it does not. */
const command = (raw: boolean): fc.Arbitrary<Case> => {
	const value = raw ? marshalledValue : nativeValue
	const key = value.map((pk) => keyOf(pk, raw))
	const keys = fc.array(key, { minLength: 1, maxLength: 4 })
	const client = raw ? ('raw' as const) : ('doc' as const)
	const via =
		(make: (input: never) => object, makeDoc: (input: never) => object) =>
		(input: unknown) =>
		(c: DynamoDBClient) =>
			raw
				? c.send(make(input as never) as GetItemCommand)
				: DynamoDBDocumentClient.from(c).send(makeDoc(input as never) as GetCommand)
	const one = (
		operation: string,
		input: fc.Arbitrary<unknown>,
		make: (input: never) => object,
		makeDoc: (input: never) => object,
	) => input.map((i) => ({ client, operation, input: i, send: via(make, makeDoc)(i) }))
	const templates = [
		{ expression: 'pk = :p' },
		{ expression: '#k = :p AND sk > :s', names: { '#k': 'pk' } },
		{ expression: ':p = pk AND begins_with(sk, :s)' },
		{ expression: '#a = :s AND #b = :p', names: { '#a': 'sk', '#b': 'pk' } },
		{ expression: 'pk = :p OR pk = :s' },
		{ expression: 'begins_with(pk, :p)' },
		{ expression: '#k = :p', names: { '#k': 'sk' } },
		{ expression: 'pk = :p AND pk = :s' },
	]
	return fc.oneof(
		one(
			'GetItem',
			fc.record({ TableName: fc.constant(table), Key: key }),
			(i) => new GetItemCommand(i),
			(i) => new GetCommand(i),
		),
		one(
			'PutItem',
			fc.record({ TableName: fc.constant(table), Item: key }),
			(i) => new PutItemCommand(i),
			(i) => new PutCommand(i),
		),
		one(
			'UpdateItem',
			fc.record({
				TableName: fc.constant(table),
				Key: key,
				UpdateExpression: fc.constant('REMOVE v'),
			}),
			(i) => new UpdateItemCommand(i),
			(i) => new UpdateCommand(i),
		),
		one(
			'DeleteItem',
			fc.record({ TableName: fc.constant(table), Key: key }),
			(i) => new DeleteItemCommand(i),
			(i) => new DeleteCommand(i),
		),
		one(
			'Query',
			fc
				.record({ template: fc.constantFrom(...templates), p: value, s: value })
				.map(({ template, p, s }) => ({
					TableName: table,
					KeyConditionExpression: template.expression,
					...(template.names ? { ExpressionAttributeNames: template.names } : {}),
					ExpressionAttributeValues: { ':p': p, ':s': s },
				})),
			(i) => new QueryCommand(i),
			(i) => new DocQueryCommand(i),
		),
		one(
			'BatchGetItem',
			fc.record({
				RequestItems: fc.record(
					{ [table]: fc.record({ Keys: keys }), other: fc.record({ Keys: keys }) },
					{ requiredKeys: [table] },
				),
			}),
			(i) => new BatchGetItemCommand(i),
			(i) => new BatchGetCommand(i),
		),
		one(
			'BatchWriteItem',
			fc.record({
				RequestItems: fc.record({
					[table]: fc.array(
						fc.oneof(
							key.map((Item) => ({ PutRequest: { Item } })),
							key.map((Key) => ({ DeleteRequest: { Key } })),
						),
						{ minLength: 1, maxLength: 4 },
					),
				}),
			}),
			(i) => new BatchWriteItemCommand(i),
			(i) => new BatchWriteCommand(i),
		),
		one(
			'TransactGetItems',
			fc.record({
				TransactItems: fc.array(
					key.map((Key) => ({ Get: { TableName: table, Key } })),
					{ minLength: 1, maxLength: 3 },
				),
			}),
			(i) => new TransactGetItemsCommand(i),
			(i) => new TransactGetCommand(i),
		),
		one(
			'TransactWriteItems',
			fc.record({
				TransactItems: fc.array(
					fc.oneof(
						key.map((Item) => ({ Put: { TableName: table, Item } })),
						key.map((Key) => ({ Delete: { TableName: table, Key } })),
						key.map((Key) => ({
							ConditionCheck: {
								TableName: table,
								Key,
								ConditionExpression: 'attribute_exists(pk)',
							},
						})),
					),
					{ minLength: 1, maxLength: 3 },
				),
			}),
			(i) => new TransactWriteItemsCommand(i),
			(i) => new TransactWriteCommand(i),
		),
		one(
			'Scan',
			fc.constant({ TableName: table }),
			(i) => new ScanCommand(i),
			(i) => new DocScanCommand(i),
		),
		fc.constant({
			client,
			operation: 'ExecuteStatement',
			send: (c: DynamoDBClient) =>
				c.send(new ExecuteStatementCommand({ Statement: `SELECT * FROM "${table}"` })),
		}),
		fc.constant({
			client,
			operation: 'DescribeTable',
			send: (c: DynamoDBClient) => c.send(new DescribeTableCommand({ TableName: table })),
		}),
	)
}

const isOwn = (value: unknown): boolean => {
	if (typeof value !== 'object' || value === null) return false
	const keys = Object.keys(value)
	const text = (value as { S?: unknown }).S
	return keys.length === 1 && typeof text === 'string' && text.startsWith(prefix)
}

/** Every partition key value in a request body as it went on the wire. */
const partitionKeysOnTheWire = (operation: string, body: Record<string, unknown>): unknown[] => {
	const pk = (record: unknown) => (record as { pk?: unknown } | undefined)?.pk
	const requestItems = (body.RequestItems ?? {}) as Record<string, unknown>
	switch (operation) {
		case 'GetItem':
		case 'UpdateItem':
		case 'DeleteItem':
			return [pk(body.Key)]
		case 'PutItem':
			return [pk(body.Item)]
		case 'BatchGetItem':
			return Object.values(requestItems).flatMap((perTable) =>
				(perTable as { Keys: unknown[] }).Keys.map(pk),
			)
		case 'BatchWriteItem':
			return Object.values(requestItems).flatMap((writes) =>
				(writes as { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } }[]).map(
					(w) => pk(w.PutRequest?.Item ?? w.DeleteRequest?.Key),
				),
			)
		case 'TransactGetItems':
		case 'TransactWriteItems':
			return (body.TransactItems as Record<string, { Key?: unknown; Item?: unknown }>[]).flatMap(
				(entry) => Object.values(entry).map((request) => pk(request.Key ?? request.Item)),
			)
		case 'Query': {
			// Only the templates binding pk to :p exactly once can be sent.
			const expression = String(body.KeyConditionExpression)
			expect([
				'pk = :p',
				'#k = :p AND sk > :s',
				':p = pk AND begins_with(sk, :s)',
				'#a = :s AND #b = :p',
			]).toContain(expression)
			return [(body.ExpressionAttributeValues as Record<string, unknown>)[':p']]
		}
		default:
			throw new Error(`${operation} must never be sent`)
	}
}

describe("random DynamoDB requests through acme's guarded client", () => {
	it('are sent with acme keys only, or refused with 403', async () => {
		let sent = 0
		let refused = 0
		await fc.assert(
			fc.asyncProperty(fc.oneof(command(true), command(false)), async ({ operation, send }) => {
				recorded.length = 0
				let error: unknown
				try {
					await send(recording)
				} catch (caught) {
					error = caught
				}
				if (recorded.length > 0) {
					sent++
					expect(error).toBeInstanceOf(NotSent)
					const [request] = recorded
					expect(request?.target).toBe(`DynamoDB_20120810.${operation}`)
					const keys = partitionKeysOnTheWire(operation, request?.body ?? {})
					expect(keys.length).toBeGreaterThan(0)
					for (const key of keys) expect(isOwn(key)).toBe(true)
				} else if ((error as { statusCode?: number }).statusCode === 403) {
					refused++
				} else {
					// Refused by the SDK itself (validation, marshalling) before the guard: also unsent.
					expect(error).not.toBeInstanceOf(NotSent)
				}
			}),
			{ numRuns: 2_000 },
		)
		expect(sent).toBeGreaterThan(100)
		expect(refused).toBeGreaterThan(500)
	})

	it('never return another tenant’s items from a real table, whatever the key condition', async () => {
		const values = ['TENANT#acme#a', 'TENANT#globex#a']
		for (const pk of values) {
			for (const sk of values) {
				await stack.admin.send(
					new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: sk } } }),
				)
			}
		}
		const token = fc.constantFrom(
			'pk',
			'sk',
			'#k',
			'=',
			'<',
			':p',
			':s',
			'AND',
			'OR',
			'NOT',
			'(',
			')',
			',',
			'begins_with',
			'BETWEEN',
		)
		await fc.assert(
			fc.asyncProperty(
				fc.array(token, { minLength: 1, maxLength: 9 }),
				fc.constantFrom(...values),
				fc.constantFrom(...values),
				fc.constantFrom('pk', 'sk'),
				async (tokens, p, s, k) => {
					try {
						const { Items = [] } = await live.send(
							new QueryCommand({
								TableName: table,
								KeyConditionExpression: tokens.join(' '),
								...(tokens.includes('#k') ? { ExpressionAttributeNames: { '#k': k } } : {}),
								ExpressionAttributeValues: { ':p': { S: p }, ':s': { S: s } },
							}),
						)
						for (const item of Items) expect(item.pk?.S).toMatch(/^TENANT#acme#/)
					} catch (error) {
						const status = (error as { statusCode?: number }).statusCode
						const name = (error as Error).name
						expect(status === 403 || name === 'ValidationException').toBe(true)
					}
				},
			),
			{ numRuns: 500 },
		)
	})
})
