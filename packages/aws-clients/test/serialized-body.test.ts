import {
	type AttributeValue,
	type DynamoDBClient,
	GetItemCommand,
	PutItemCommand,
	QueryCommand,
} from '@aws-sdk/client-dynamodb'
import {
	QueryCommand as DocQueryCommand,
	DynamoDBDocumentClient,
	GetCommand,
	PutCommand,
} from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	pipeline,
	type Stack,
	startStack,
	table,
	tableItems,
	tenantDynamoDbOptions,
} from './harness.js'

// The guard reads the command's input; what DynamoDB reads is the body the SDK's serializer wrote
// from it. The serializer writes some member names as they are, without escaping them: the keys
// of an attribute value, and every extra key of a structure that has a `__type`. A name with a
// quote in it, which a request body can carry, then adds members of its own to the body, e.g. a
// second partition key after the one the guard checked (a JSON reader keeps the last one).

let stack: Stack
let seeded: string[]

beforeAll(async () => {
	stack = await startStack()
	for (const pk of ['TENANT#acme#note', 'TENANT#globex#secret']) {
		await stack.admin.send(
			new PutItemCommand({
				TableName: table,
				Item: { pk: { S: pk }, sk: { S: '1' }, owner: { S: pk } },
			}),
		)
	}
	seeded = await tableItems(stack)
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

/** What the handler answered, and which data-plane requests reached DynamoDB. */
const run = async (
	work: Parameters<typeof pipeline<{ dynamodb: typeof DynamoDBClient }>>[1],
	body: unknown,
) => {
	const { invoke, violations } = pipeline(tenantDynamoDbOptions(stack), work)
	const response = await invoke('acme', { body: JSON.stringify(body) })
	const sent = stack.dynamodb.requests.filter((request) => request.operation !== 'DescribeTable')
	return { response, violations, sent }
}

const parsed = (event: Record<string, unknown>): Record<string, unknown> =>
	JSON.parse(String(event.body))

describe("a request body cannot smuggle another tenant's key past the guard", () => {
	it("PutItem of attribute values from the request: no item is planted in globex's partition", async () => {
		// A store of DynamoDB-JSON attributes: acme's handler puts its own key first, then the
		// caller's attributes.
		const attributes = {
			note: { 'S":"hi"},"pk":{"S': 'TENANT#globex#planted' },
		}
		const { response, violations, sent } = await run(async (context, event) => {
			await context.clients.dynamodb.send(
				new PutItemCommand({
					TableName: table,
					Item: {
						pk: { S: context.tenant.key('note', '2') },
						sk: { S: '1' },
						...(parsed(event) as Record<string, AttributeValue>),
					},
				}),
			)
			return 'stored'
		}, attributes)
		expect(await tableItems(stack)).toEqual(seeded)
		expect(response.statusCode).toBe(403)
		expect(sent).toEqual([])
		expect(violations).toMatchObject([
			{ code: 'dynamodb_cross_tenant_key', tenant: 'acme', source: 'dynamodb:PutItem' },
		])
	})

	it("Query with filter values from the request: globex's partition is not read", async () => {
		const filter = {
			':owner': { 'S":"x"},":pk":{"S': 'TENANT#globex#secret' },
		}
		const { response, violations, sent } = await run(async (context, event) => {
			const { Items = [] } = await context.clients.dynamodb.send(
				new QueryCommand({
					TableName: table,
					KeyConditionExpression: 'pk = :pk',
					FilterExpression: '#owner <> :owner',
					ExpressionAttributeNames: { '#owner': 'owner' },
					ExpressionAttributeValues: {
						':pk': { S: `${context.tenant.keyPrefix}note` },
						...(parsed(event) as Record<string, AttributeValue>),
					},
				}),
			)
			return Items.map((item) => item.owner?.S)
		}, filter)
		expect(response.body).not.toContain('globex')
		expect(response.statusCode).toBe(403)
		expect(sent).toEqual([])
		// The body names :pk twice: which one binds the key cannot be proven.
		expect(violations).toMatchObject([{ tenant: 'acme', source: 'dynamodb:Query' }])
	})

	it.each(['client', 'document client'] as const)(
		"GetItem with options spread from the request (a __type and a quoted name): globex's item is not read (%s)",
		async (through) => {
			const options = {
				__type: 'options',
				'x":0,"Key': { pk: { S: 'TENANT#globex#secret' }, sk: { S: '1' } },
			}
			const { response, violations, sent } = await run(async (context, event) => {
				const pk = `${context.tenant.keyPrefix}note`
				const { Item } =
					through === 'client'
						? await context.clients.dynamodb.send(
								new GetItemCommand({
									...parsed(event),
									TableName: table,
									Key: { pk: { S: pk }, sk: { S: '1' } },
								}),
							)
						: await DynamoDBDocumentClient.from(context.clients.dynamodb).send(
								new GetCommand({ ...parsed(event), TableName: table, Key: { pk, sk: '1' } }),
							)
				return Item
			}, options)
			expect(response.body).not.toContain('globex')
			expect(response.statusCode).toBe(403)
			expect(sent).toEqual([])
			expect(violations).toMatchObject([
				{ code: 'dynamodb_cross_tenant_key', tenant: 'acme', source: 'dynamodb:GetItem' },
			])
		},
	)
})

describe('a key that reads differently each time', () => {
	it('is checked as the serializer wrote it: a getter naming globex only then is refused', async () => {
		const { response, violations, sent } = await run(async (context) => {
			let reads = 0
			const key = {
				get pk() {
					reads++
					// The checks before and after the serializer read it first and third.
					return { S: reads === 2 ? 'TENANT#globex#secret' : `${context.tenant.keyPrefix}note` }
				},
				sk: { S: '1' },
			}
			const { Item } = await context.clients.dynamodb.send(
				new GetItemCommand({ TableName: table, Key: key }),
			)
			return Item
		}, {})
		expect(response.body).not.toContain('globex')
		expect(response.statusCode).toBe(403)
		expect(sent).toEqual([])
		expect(violations).toMatchObject([
			{ code: 'dynamodb_cross_tenant_key', tenant: 'acme', claimedTenant: 'globex' },
		])
	})
})

describe('bodies the guard reads as DynamoDB does', () => {
	it("sends acme's own requests with names and values that need escaping", async () => {
		const { response, violations } = await run(async (context) => {
			const client = context.clients.dynamodb
			const pk = context.tenant.key('escaped', 'a"b\\c\u0001\u2028é😀')
			await client.send(
				new PutItemCommand({
					TableName: table,
					Item: {
						pk: { S: pk },
						sk: { S: '1' },
						'quote"d': { M: { 'in"ner': { S: '\ud800' } } },
						list: { L: [{ N: '1' }, { NULL: true }, { BOOL: false }] },
						bytes: { B: new Uint8Array([0, 255]) },
					},
				}),
			)
			const { Item } = await client.send(
				new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: '1' } } }),
			)
			return Item?.pk?.S === pk
		}, {})
		expect(violations).toEqual([])
		expect(response).toMatchObject({ statusCode: 200, body: 'true' })
	})

	it("sends acme's document commands with numeric names, sets and numbers", async () => {
		const { response, violations } = await run(async (context) => {
			const client = DynamoDBDocumentClient.from(context.clients.dynamodb)
			const pk = context.tenant.key('doc', 'x\u007f\u00a0/')
			const item = {
				pk,
				sk: '1',
				'10': 1.5,
				'2': -0,
				'01': [1, 'two', { three: null }],
				tags: new Set(['a', 'b']),
			}
			await client.send(new PutCommand({ TableName: table, Item: item }))
			const { Items = [] } = await client.send(
				new DocQueryCommand({
					TableName: table,
					KeyConditionExpression: 'pk = :pk',
					ExpressionAttributeValues: { ':pk': pk },
					Limit: 10,
				}),
			)
			return Items.length
		}, {})
		expect(violations).toEqual([])
		expect(response).toMatchObject({ statusCode: 200, body: '1' })
	})
})
