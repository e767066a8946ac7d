import {
	CreateTableCommand,
	DynamoDBClient,
	PutItemCommand,
	ScanCommand,
	UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	createGlobexOrderViews,
	globexSeesInView,
	pipeline,
	type Stack,
	startStack,
} from './harness.js'

/**
 * The guard lets globex query an index whose partition key is bound to `TENANT#globex#…`, and so
 * trusts every item under that key to be globex's. It checked the index keys a write sets only
 * for the indexes listed in the writing handler's `indexes`, an option documented for Queries:
 * a handler that only writes (another route, another Lambda) lists none, and its writes put
 * acme's items into globex's view. Likewise a table whose partition key is not `partitionKey`.
 */

let stack: Stack
const gsiTable = 'tenant-data-stored-keys'
const idTable = 'tenant-data-by-id'
const views = ['open', 'due', 'late', 'held', 'lost'] as const
type View = (typeof views)[number]

beforeAll(async () => {
	stack = await startStack()
	await createGlobexOrderViews(stack, gsiTable, views)
	await stack.admin.send(
		new CreateTableCommand({
			TableName: idTable,
			BillingMode: 'PAY_PER_REQUEST',
			AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
			KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
		}),
	)
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

type Work = (client: DynamoDBClient, keyPrefix: string) => Promise<unknown>

/** A handler that only writes: its guard is the default one, no `indexes`. */
const writer = (work: Work) =>
	pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
		},
		async (context) => work(context.clients.dynamodb, context.tenant.keyPrefix),
	)

const globexSees = (view: View) => globexSeesInView(stack, gsiTable, view)

const outcome = async (run: ReturnType<typeof writer>, view: View) => {
	const response = await run.invoke('acme')
	return {
		status: response.statusCode,
		violations: run.violations.map((violation) => violation.code),
		globexSees: await globexSees(view),
	}
}

/** Refused, and globex's view holds its own item only. */
const refused = {
	status: 403,
	violations: ['dynamodb_cross_tenant_key'],
	globexSees: ['globex'],
}

describe("writes cannot store another tenant's key for an index the writer does not list", () => {
	it("PutItem: acme's item does not show in globex's view of an index", async () => {
		const run = writer((client, prefix) =>
			client.send(
				new PutItemCommand({
					TableName: gsiTable,
					Item: {
						pk: { S: `${prefix}order#1` },
						sk: { S: 'ORDER' },
						gsi1pk: { S: 'TENANT#globex#open' },
						owner: { S: 'acme' },
					},
				}),
			),
		)
		expect(await outcome(run, 'open')).toEqual(refused)
	})

	it('document client PutCommand: the same, with plain strings', async () => {
		const run = writer((client, prefix) =>
			DynamoDBDocumentClient.from(client).send(
				new PutCommand({
					TableName: gsiTable,
					Item: { pk: `${prefix}order#2`, sk: 'ORDER', gsi1pk: 'TENANT#globex#due', owner: 'acme' },
				}),
			),
		)
		expect(await outcome(run, 'due')).toEqual(refused)
	})

	it('UpdateItem: SET of the index key on an own item is refused', async () => {
		const run = writer((client, prefix) =>
			client.send(
				new UpdateItemCommand({
					TableName: gsiTable,
					Key: { pk: { S: `${prefix}order#3` }, sk: { S: 'ORDER' } },
					UpdateExpression: 'SET #g = :g, #o = :o',
					ExpressionAttributeNames: { '#g': 'gsi1pk', '#o': 'owner' },
					ExpressionAttributeValues: { ':g': { S: 'TENANT#globex#late' }, ':o': { S: 'acme' } },
				}),
			),
		)
		expect(await outcome(run, 'late')).toEqual(refused)
	})

	it('a nested string copied to the index key (SET gsi1pk = meta.ref) is refused where it is stored', async () => {
		const run = writer(async (client, prefix) => {
			const Key = { pk: { S: `${prefix}order#4` }, sk: { S: 'ORDER' } }
			await client.send(
				new PutItemCommand({
					TableName: gsiTable,
					Item: {
						...Key,
						owner: { S: 'acme' },
						meta: { M: { ref: { L: [{ S: 'TENANT#globex#held' }] } } },
					},
				}),
			)
			return client.send(
				new UpdateItemCommand({
					TableName: gsiTable,
					Key,
					UpdateExpression: 'SET gsi1pk = meta.#r[0]',
					ExpressionAttributeNames: { '#r': 'ref' },
				}),
			)
		})
		expect(await outcome(run, 'held')).toEqual(refused)
	})

	it("legacy AttributeUpdates: acme's item does not show in globex's view", async () => {
		const run = writer((client, prefix) =>
			client.send(
				new UpdateItemCommand({
					TableName: gsiTable,
					Key: { pk: { S: `${prefix}order#5` }, sk: { S: 'ORDER' } },
					AttributeUpdates: {
						gsi1pk: { Action: 'PUT', Value: { S: 'TENANT#globex#lost' } },
						owner: { Action: 'PUT', Value: { S: 'acme' } },
					},
				}),
			),
		)
		expect(await outcome(run, 'lost')).toEqual(refused)
	})

	it("PutItem to a table keyed by another attribute: nothing lands in globex's partition", async () => {
		const run = writer((client, prefix) =>
			client.send(
				new PutItemCommand({
					TableName: idTable,
					Item: { pk: { S: `${prefix}x` }, id: { S: 'TENANT#globex#profile' } },
				}),
			),
		)
		const response = await run.invoke('acme')
		const { Items = [] } = await stack.admin.send(new ScanCommand({ TableName: idTable }))
		expect({ status: response.statusCode, stored: Items.map((item) => item.id?.S) }).toEqual({
			status: 403,
			stored: [],
		})
	})

	it("acme's own strings, nested or not, are stored", async () => {
		const run = writer(async (client, prefix) => {
			await client.send(
				new PutItemCommand({
					TableName: gsiTable,
					Item: {
						pk: { S: `${prefix}order#6` },
						sk: { S: 'ORDER' },
						gsi1pk: { S: `${prefix}open` },
						meta: { M: { ref: { L: [{ S: `${prefix}order#1` }] }, note: { S: 'TENANT' } } },
					},
				}),
			)
			return client.send(
				new UpdateItemCommand({
					TableName: gsiTable,
					Key: { pk: { S: `${prefix}order#6` }, sk: { S: 'ORDER' } },
					UpdateExpression: 'SET gsi1pk = :g',
					ExpressionAttributeValues: { ':g': { S: `${prefix}due` } },
				}),
			)
		})
		const response = await run.invoke('acme')
		expect({ status: response.statusCode, violations: run.violations }).toEqual({
			status: 200,
			violations: [],
		})
	})
})
