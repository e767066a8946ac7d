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
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { attachGuard, guardDefaults, guardMiddlewareName } from '../src/dynamo-guard.js'
import type { AwsClientsOptions } from '../src/index.js'
import { requestFacts } from '../src/request-facts.js'
import { pipeline, type Stack, startStack, table, tableItems } from './harness.js'

let stack: Stack

const own = 'TENANT#acme#item#1'
const other = 'TENANT#globex#item#1'

beforeAll(async () => {
	stack = await startStack()
	for (const pk of [own, other, 'TENANT#acme#item#2', 'TENANT#globex#item#2']) {
		await stack.admin.send(
			new PutItemCommand({
				TableName: table,
				Item: { pk: { S: pk }, sk: { S: '1' }, v: { N: '1' } },
			}),
		)
	}
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

type Send = (client: DynamoDBClient) => Promise<unknown>
type Build = (pk: string) => Send

const raw =
	(command: (pk: string) => object): Build =>
	(pk) =>
	(client) =>
		client.send(command(pk) as GetItemCommand)
const doc =
	(command: (pk: string) => object): Build =>
	(pk) =>
	(client) =>
		DynamoDBDocumentClient.from(client).send(command(pk) as GetCommand)

const key = (pk: string) => ({ pk: { S: pk }, sk: { S: '1' } })
const item = (pk: string) => ({ ...key(pk), v: { N: '2' } })
const nativeKey = (pk: string) => ({ pk, sk: '1' })

const rawGet: Build = raw((pk) => new GetItemCommand({ TableName: table, Key: key(pk) }))

/** Each listed operation, through the raw client and a DocumentClient wrapping it. */
const operations: {
	name: string
	operation: string
	raw: Build
	doc: Build
	transaction?: true
}[] = [
	{
		name: 'GetItem',
		operation: 'GetItem',
		raw: raw((pk) => new GetItemCommand({ TableName: table, Key: key(pk) })),
		doc: doc((pk) => new GetCommand({ TableName: table, Key: nativeKey(pk) })),
	},
	{
		name: 'PutItem',
		operation: 'PutItem',
		raw: raw((pk) => new PutItemCommand({ TableName: table, Item: item(pk) })),
		doc: doc((pk) => new PutCommand({ TableName: table, Item: { ...nativeKey(pk), v: 2 } })),
	},
	{
		name: 'UpdateItem',
		operation: 'UpdateItem',
		raw: raw(
			(pk) =>
				new UpdateItemCommand({
					TableName: table,
					Key: key(pk),
					UpdateExpression: 'SET v = :v',
					ExpressionAttributeValues: { ':v': { N: '3' } },
				}),
		),
		doc: doc(
			(pk) =>
				new UpdateCommand({
					TableName: table,
					Key: nativeKey(pk),
					UpdateExpression: 'SET v = :v',
					ExpressionAttributeValues: { ':v': 3 },
				}),
		),
	},
	{
		name: 'DeleteItem',
		operation: 'DeleteItem',
		raw: raw((pk) => new DeleteItemCommand({ TableName: table, Key: key(`${pk}-gone`) })),
		doc: doc((pk) => new DeleteCommand({ TableName: table, Key: nativeKey(`${pk}-gone`) })),
	},
	{
		name: 'Query',
		operation: 'Query',
		raw: raw(
			(pk) =>
				new QueryCommand({
					TableName: table,
					KeyConditionExpression: '#p = :p AND begins_with(sk, :s)',
					ExpressionAttributeNames: { '#p': 'pk' },
					ExpressionAttributeValues: { ':p': { S: pk }, ':s': { S: '1' } },
				}),
		),
		doc: doc(
			(pk) =>
				new DocQueryCommand({
					TableName: table,
					KeyConditionExpression: 'pk = :p',
					ExpressionAttributeValues: { ':p': pk },
				}),
		),
	},
	{
		name: 'BatchGetItem (own key first, then the one under test)',
		operation: 'BatchGetItem',
		raw: raw(
			(pk) =>
				new BatchGetItemCommand({
					RequestItems: { [table]: { Keys: [key('TENANT#acme#item#2'), key(pk)] } },
				}),
		),
		doc: doc(
			(pk) =>
				new BatchGetCommand({
					RequestItems: { [table]: { Keys: [nativeKey('TENANT#acme#item#2'), nativeKey(pk)] } },
				}),
		),
	},
	{
		name: 'BatchWriteItem (own put first, then a delete of the one under test)',
		operation: 'BatchWriteItem',
		raw: raw(
			(pk) =>
				new BatchWriteItemCommand({
					RequestItems: {
						[table]: [
							{ PutRequest: { Item: item('TENANT#acme#item#3') } },
							{ DeleteRequest: { Key: key(`${pk}-gone`) } },
						],
					},
				}),
		),
		doc: doc(
			(pk) =>
				new BatchWriteCommand({
					RequestItems: {
						[table]: [
							{ PutRequest: { Item: { ...nativeKey('TENANT#acme#item#3'), v: 1 } } },
							{ DeleteRequest: { Key: nativeKey(`${pk}-gone`) } },
						],
					},
				}),
		),
	},
	{
		name: 'TransactGetItems',
		operation: 'TransactGetItems',
		transaction: true,
		raw: raw(
			(pk) =>
				new TransactGetItemsCommand({
					TransactItems: [
						{ Get: { TableName: table, Key: key('TENANT#acme#item#2') } },
						{ Get: { TableName: table, Key: key(pk) } },
					],
				}),
		),
		doc: doc(
			(pk) =>
				new TransactGetCommand({
					TransactItems: [{ Get: { TableName: table, Key: nativeKey(pk) } }],
				}),
		),
	},
	{
		name: 'TransactWriteItems',
		operation: 'TransactWriteItems',
		transaction: true,
		raw: raw(
			(pk) =>
				new TransactWriteItemsCommand({
					TransactItems: [
						{ Put: { TableName: table, Item: item('TENANT#acme#item#4') } },
						{
							ConditionCheck: {
								TableName: table,
								Key: key(pk),
								ConditionExpression: 'attribute_exists(pk)',
							},
						},
					],
				}),
		),
		doc: doc(
			(pk) =>
				new TransactWriteCommand({
					TransactItems: [
						{ Put: { TableName: table, Item: { ...nativeKey('TENANT#acme#item#4'), v: 1 } } },
						{
							Update: {
								TableName: table,
								Key: nativeKey(pk),
								UpdateExpression: 'SET v = :v',
								ExpressionAttributeValues: { ':v': 5 },
							},
						},
					],
				}),
		),
	},
]

const guarded = (options: Partial<AwsClientsOptions<{ dynamodb: typeof DynamoDBClient }>> = {}) => {
	let send: Send = async () => undefined
	const run = pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			...options,
		},
		async (context) => {
			try {
				await send(context.clients.dynamodb)
				return 'sent'
			} catch (error) {
				// Only local limits are caught: the guard's 403 must reach the error handler.
				if ((error as { statusCode?: number }).statusCode === 403) throw error
				return (error as Error).name
			}
		},
	)
	return {
		...run,
		as: (tenant: string, next: Send) => {
			send = next
			return run.invoke(tenant, { requestId: 'req-guard' })
		},
	}
}

describe('DynamoDB tenant guard, for every listed operation', () => {
	for (const client of ['raw', 'doc'] as const) {
		describe(client === 'raw' ? 'DynamoDBClient' : 'DynamoDBDocumentClient.from(client)', () => {
			it.each(operations)("$name: the tenant's own key is sent", async (operation) => {
				const { as } = guarded()
				const response = await as('acme', operation[client](own))
				expect(response.statusCode).toBe(200)
				const sent = stack.dynamodb.requests.filter((r) => r.operation === operation.operation)
				expect(sent).toHaveLength(1)
				// dynalite has no transactions: the request passed the guard and was sent, and
				// dynalite answered that it does not know the operation.
				expect(response.body).toBe(operation.transaction ? '"UnknownOperationException"' : '"sent"')
			})

			it.each(operations)(
				"$name: another tenant's key is refused before sending, nothing read or written",
				async (operation) => {
					const { as, violations, errors } = guarded()
					const before = await tableItems(stack)
					stack.dynamodb.clearRequests()
					const response = await as('acme', operation[client](other))
					expect(response).toMatchObject({ statusCode: 403, body: 'Forbidden' })
					expect(stack.dynamodb.requests).toEqual([])
					expect(await tableItems(stack)).toEqual(before)
					expect(violations).toEqual([
						{
							code: 'dynamodb_cross_tenant_key',
							tenant: 'acme',
							claimedTenant: 'globex',
							source: `dynamodb:${operation.operation}`,
							requestId: 'req-guard',
							path: '/items',
							method: 'POST',
						},
					])
					expect(errors[0]).toMatchObject({ cause: { code: 'dynamodb_cross_tenant_key' } })
				},
			)
		})
	}

	it('refuses a key that only looks like the prefix', async () => {
		const { as } = guarded()
		for (const pk of [
			'TENANT#acme',
			'TENANT#acmeX#item#1',
			'tenant#acme#item#1',
			' TENANT#acme#1',
			'X',
		]) {
			await expect(as('acme', rawGet(pk))).resolves.toMatchObject({
				statusCode: 403,
			})
		}
		expect(stack.dynamodb.requests).toEqual([])
	})
})

describe("a violation's request facts", () => {
	it('clip a long path to 256 characters, so a hostile request cannot swell the log', async () => {
		// The path is the caller's: a refused request's violation line stays bounded whatever it sent.
		const { invoke, violations } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			},
			async (context) => rawGet('TENANT#globex#item#1')(context.clients.dynamodb),
		)
		const path = `/items/${'x'.repeat(293)}`
		expect(path).toHaveLength(300)
		const response = await invoke('acme', { rawPath: path })
		expect(response).toMatchObject({ statusCode: 403 })
		expect(violations).toEqual([
			expect.objectContaining({
				code: 'dynamodb_cross_tenant_key',
				path: `${path.slice(0, 256)}…`,
			}),
		])
		expect(stack.dynamodb.requests).toEqual([])
	})
})

describe('Scan and other operations', () => {
	const scan: Send = (client) => client.send(new ScanCommand({ TableName: table }))
	const docScan: Send = (client) =>
		DynamoDBDocumentClient.from(client).send(new DocScanCommand({ TableName: table }))

	it('refuses Scan unless allowScan', async () => {
		const refusing = guarded()
		await expect(refusing.as('acme', scan)).resolves.toMatchObject({ statusCode: 403 })
		await expect(refusing.as('acme', docScan)).resolves.toMatchObject({ statusCode: 403 })
		expect(refusing.violations.map((v) => v.code)).toEqual([
			'dynamodb_scan_refused',
			'dynamodb_scan_refused',
		])
		expect(stack.dynamodb.requests).toEqual([])
		const allowing = guarded({ dynamoTenantGuard: { allowScan: true } })
		await expect(allowing.as('acme', scan)).resolves.toMatchObject({
			statusCode: 200,
			body: '"sent"',
		})
	})

	it('refuses operations it cannot check (PartiQL, table admin) unless listed in allowCommands', async () => {
		const describe: Send = (client) => client.send(new DescribeTableCommand({ TableName: table }))
		const partiql: Send = (client) =>
			client.send(new ExecuteStatementCommand({ Statement: `SELECT * FROM "${table}"` }))
		const refusing = guarded()
		await expect(refusing.as('acme', describe)).resolves.toMatchObject({ statusCode: 403 })
		await expect(refusing.as('acme', partiql)).resolves.toMatchObject({ statusCode: 403 })
		expect(refusing.violations.map((v) => [v.code, v.source])).toEqual([
			['dynamodb_command_refused', 'dynamodb:DescribeTable'],
			['dynamodb_command_refused', 'dynamodb:ExecuteStatement'],
		])
		expect(stack.dynamodb.requests).toEqual([])
		const allowing = guarded({ dynamoTenantGuard: { allowCommands: ['DescribeTable'] } })
		await expect(allowing.as('acme', describe)).resolves.toMatchObject({ statusCode: 200 })
		await expect(allowing.as('acme', partiql)).resolves.toMatchObject({ statusCode: 403 })
	})

	it('queries an index only when its partition key is configured', async () => {
		const byIndex =
			(indexName: string): Send =>
			(client) =>
				client.send(
					new QueryCommand({
						TableName: table,
						IndexName: indexName,
						KeyConditionExpression: 'gsi1pk = :p',
						ExpressionAttributeValues: { ':p': { S: own } },
					}),
				)
		const { as, violations } = guarded({ dynamoTenantGuard: { indexes: { byStatus: 'gsi1pk' } } })
		await expect(as('acme', byIndex('other'))).resolves.toMatchObject({ statusCode: 403 })
		expect(violations[0]?.code).toBe('dynamodb_key_condition_unproven')
		// Passes the guard; dynalite then answers that the table has no such index.
		await expect(as('acme', byIndex('byStatus'))).resolves.toMatchObject({
			statusCode: 200,
			body: '"ValidationException"',
		})
	})
})

describe('where the guard applies', () => {
	it('binds each tenant client to its tenant: globex is refused acme keys and vice versa', async () => {
		const { as } = guarded()
		const get = rawGet
		await expect(as('acme', get(own))).resolves.toMatchObject({ statusCode: 200 })
		await expect(as('globex', get(other))).resolves.toMatchObject({ statusCode: 200 })
		await expect(as('globex', get(own))).resolves.toMatchObject({ statusCode: 403 })
		await expect(as('acme', get(other))).resolves.toMatchObject({ statusCode: 403 })
	})

	it('is not applied without a tenant, and is a misconfigured 500 when asked for explicitly', async () => {
		const put: Send = (client) =>
			client.send(new PutItemCommand({ TableName: table, Item: item('GLOBAL#config') }))
		const options = {
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
		}
		const implicit = pipeline(options, async (context) => put(context.clients.dynamodb), {
			isolation: false,
		})
		await expect(implicit.invoke(undefined)).resolves.toMatchObject({ statusCode: 200 })
		const explicit = pipeline(
			{ ...options, dynamoTenantGuard: { partitionKey: 'pk' } },
			async (context) => put(context.clients.dynamodb),
			{ isolation: false },
		)
		const response = await explicit.invoke(undefined)
		expect(response.statusCode).toBe(500)
		expect(String((explicit.errors[0] as Error).message)).toMatch(
			/use tenantIsolation\(\) before awsClients/,
		)
	})

	it('can be turned off (dynamoTenantGuard: false): IAM is then the only wall', async () => {
		const { as } = guarded({ dynamoTenantGuard: false })
		await expect(as('acme', rawGet(other))).resolves.toMatchObject({
			statusCode: 200,
		})
	})

	it('is added once, under its name, however often it is attached', () => {
		const client = stack.dynamodb.client()
		const tenant = { id: 'acme', keyPrefix: 'TENANT#acme#', key: () => '' }
		attachGuard(client, tenant, guardDefaults, requestFacts, () => undefined)
		attachGuard(client, tenant, guardDefaults, requestFacts, () => undefined)
		const names = client.middlewareStack
			.identify()
			.filter((entry) => entry.startsWith(guardMiddlewareName))
		expect(names).toHaveLength(1)
		expect(names[0]).toMatch(/build/)
	})
})
