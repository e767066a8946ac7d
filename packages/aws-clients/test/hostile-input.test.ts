import {
	BatchGetItemCommand,
	DynamoDBClient,
	GetItemCommand,
	PutItemCommand,
	QueryCommand,
	type QueryCommandInput,
} from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import { createTenantContext } from '@tenantry/util'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { awsClients, getClientCacheSize } from '../src/index.js'
import {
	countingDynamoDb,
	handSetTenant,
	pipeline,
	roleArn,
	type Stack,
	startStack,
	table,
	tableItems,
} from './harness.js'

let stack: Stack
let before: string[]

beforeAll(async () => {
	stack = await startStack()
	for (const pk of ['TENANT#acme#a', 'TENANT#globex#a']) {
		await stack.admin.send(
			new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: '1' } } }),
		)
	}
	before = await tableItems(stack)
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

const get = (Key: unknown) =>
	new GetItemCommand({ TableName: table, Key: Key as GetItemCommand['input']['Key'] })

/** Nothing reached DynamoDB or STS, and the table is as seeded. */
const nothingChanged = async () => {
	expect(stack.dynamodb.requests).toEqual([])
	expect(stack.sts.assumeRoleCalls).toEqual([])
	expect(await tableItems(stack)).toEqual(before)
	stack.dynamodb.clearRequests()
}

const guardedSend = () => {
	let input: unknown
	const run = pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
		},
		async (context) => {
			await context.clients.dynamodb.send(input as GetItemCommand)
			return 'sent'
		},
	)
	return (command: unknown) => {
		input = command
		return run.invoke('acme')
	}
}

describe('hostile input: a forged context.tenant', () => {
	it.each([
		[
			'an empty key prefix (would let every key through)',
			{ id: 'acme', keyPrefix: '', key: () => '' },
		],
		["another tenant's prefix", { id: 'acme', keyPrefix: 'TENANT#globex#', key: () => '' }],
		['an id with a separator', { id: 'acme#x', keyPrefix: 'TENANT#acme#x#', key: () => '' }],
		['a string', 'acme'],
		['an id that is not a string', { id: 7, keyPrefix: 'TENANT#7#' }],
	])('%s: a misconfigured 500, no client built, nothing sent', async (_name, tenant) => {
		const { CountedDynamoDBClient, counter } = countingDynamoDb()
		const handler = middy(
			async (_event: unknown, context: { clients: { dynamodb: DynamoDBClient } }) => {
				await context.clients.dynamodb.send(
					new PutItemCommand({
						TableName: table,
						Item: { pk: { S: 'TENANT#globex#a' }, sk: { S: 'x' } },
					}),
				)
				return { statusCode: 200 }
			},
		)
			.use(httpErrorHandler({ logger: false }))
			.use(handSetTenant(() => tenant))
			.use(
				awsClients({
					clients: { dynamodb: CountedDynamoDBClient },
					perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
					tenantCredentials: { roleArn, sts: stack.sts.client() },
				}),
			) as unknown as (event: unknown, context: Context) => Promise<APIGatewayProxyResult>
		const response = await handler(httpApiEvent(), lambdaContext())
		expect(response.statusCode).toBe(500)
		expect(response.body).toBeUndefined()
		expect(counter.built).toBe(0)
		expect(getClientCacheSize()).toBe(0)
		await nothingChanged()
	})

	it('a mutable tenant context changed after a good request is checked again', async () => {
		const tenant = { id: 'acme', keyPrefix: 'TENANT#acme#', key: () => '' }
		const handler = middy(
			async (_event: unknown, context: { clients: { dynamodb: DynamoDBClient } }) => {
				await context.clients.dynamodb.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: 'TENANT#globex#a' }, sk: { S: '1' } },
					}),
				)
				return { statusCode: 200 }
			},
		)
			.use(httpErrorHandler({ logger: false }))
			.use(handSetTenant(() => tenant))
			.use(
				awsClients({
					clients: { dynamodb: DynamoDBClient },
					perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
					onViolation: () => undefined,
				}),
			) as unknown as (event: unknown, context: Context) => Promise<APIGatewayProxyResult>
		await expect(handler(httpApiEvent(), lambdaContext())).resolves.toMatchObject({
			statusCode: 403,
		})
		tenant.keyPrefix = 'TENANT#'
		await expect(handler(httpApiEvent(), lambdaContext())).resolves.toMatchObject({
			statusCode: 500,
		})
		await nothingChanged()
	})

	it('no tenant at all with tenantCredentials: a misconfigured 500', async () => {
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				tenantCredentials: { roleArn, sts: stack.sts.client() },
			},
			async () => 'never',
			{ isolation: false },
		)
		await expect(invoke(undefined)).resolves.toMatchObject({ statusCode: 500 })
		await nothingChanged()
	})
})

describe('hostile input: keys the guard must refuse, with nothing sent', () => {
	it.each([
		[
			'a key behind __proto__',
			JSON.parse('{"__proto__":{"pk":{"S":"TENANT#acme#a"}},"sk":{"S":"1"}}'),
		],
		['a look-alike tenant (Cyrillic a)', { pk: { S: 'TENANT#\u0430cme#a' }, sk: { S: '1' } }],
		['a prefix without its closing separator', { pk: { S: 'TENANT#acme' }, sk: { S: '1' } }],
		['a longer tenant id', { pk: { S: 'TENANT#acmecorp#a' }, sk: { S: '1' } }],
		['a prefix after a NUL', { pk: { S: '\u0000TENANT#acme#a' }, sk: { S: '1' } }],
		['a number key', { pk: { N: '1' }, sk: { S: '1' } }],
		['two types in one value', { pk: { S: 'TENANT#acme#a', N: '1' }, sk: { S: '1' } }],
		['a 400 KB key', { pk: { S: `TENANT#globex#${'x'.repeat(400_000)}` }, sk: { S: '1' } }],
		['no partition key', { sk: { S: '1' } }],
	])('%s: 403', async (_name, key) => {
		const send = guardedSend()
		await expect(send(get(key))).resolves.toMatchObject({ statusCode: 403, body: 'Forbidden' })
		await nothingChanged()
	})

	const query = (input: Partial<QueryCommandInput>) =>
		new QueryCommand({ TableName: table, ...input })

	it.each([
		[
			'an OR smuggling a second partition',
			{
				KeyConditionExpression: 'pk = :a OR pk = :b',
				ExpressionAttributeValues: { ':a': { S: 'TENANT#acme#a' }, ':b': { S: 'TENANT#globex#a' } },
			},
		],
		[
			'a placeholder naming the sort key while pk is bound elsewhere',
			{
				KeyConditionExpression: '#a = :mine AND #b = :theirs',
				ExpressionAttributeNames: { '#a': 'sk', '#b': 'pk' },
				ExpressionAttributeValues: {
					':mine': { S: 'TENANT#acme#a' },
					':theirs': { S: 'TENANT#globex#a' },
				},
			},
		],
		[
			'a value placeholder defined only on the prototype',
			{
				KeyConditionExpression: 'pk = :toString',
				ExpressionAttributeValues: { ':x': { S: 'TENANT#acme#a' } },
			},
		],
		[
			'a comment-like tail',
			{
				KeyConditionExpression: 'pk = :a -- AND',
				ExpressionAttributeValues: { ':a': { S: 'TENANT#acme#a' } },
			},
		],
		[
			'an index the guard does not know',
			{
				IndexName: 'everything',
				KeyConditionExpression: 'pk = :a',
				ExpressionAttributeValues: { ':a': { S: 'TENANT#acme#a' } },
			},
		],
		[
			'a 100 KB expression',
			{
				KeyConditionExpression: `pk = :a${' AND sk = :a'.repeat(9_000)}`,
				ExpressionAttributeValues: { ':a': { S: 'TENANT#acme#a' } },
			},
		],
	])('a Query with %s: 403', async (_name, input) => {
		const send = guardedSend()
		await expect(send(query(input))).resolves.toMatchObject({ statusCode: 403 })
		await nothingChanged()
	})

	it('a batch of 100 keys with one foreign key at the end: 403 for the whole batch', async () => {
		const keys = Array.from({ length: 99 }, (_, i) => ({
			pk: { S: `TENANT#acme#${i}` },
			sk: { S: '1' },
		}))
		keys.push({ pk: { S: 'TENANT#globex#a' }, sk: { S: '1' } })
		const send = guardedSend()
		await expect(
			send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys } } })),
		).resolves.toMatchObject({
			statusCode: 403,
		})
		await nothingChanged()
	})

	it('a command that names no operation: refused, reported as dynamodb:unknown', async () => {
		const command = get({ pk: { S: 'TENANT#acme#a' }, sk: { S: '1' } })
		command.middlewareStack.add(
			(next, context) => {
				delete (context as { commandName?: string }).commandName
				return next
			},
			{ step: 'initialize', priority: 'high' },
		)
		const { invoke, violations } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			},
			async (context) => context.clients.dynamodb.send(command),
		)
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 403 })
		expect(violations).toEqual([
			expect.objectContaining({ code: 'dynamodb_command_refused', source: 'dynamodb:unknown' }),
		])
		await nothingChanged()
	})

	it('a throwing onViolation changes nothing', async () => {
		const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				onViolation: () => {
					throw new Error('audit down')
				},
			},
			async (context) =>
				context.clients.dynamodb.send(get({ pk: { S: 'TENANT#globex#a' }, sk: { S: '1' } })),
		)
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 403 })
		expect(error).toHaveBeenCalledTimes(1)
		error.mockRestore()
		await nothingChanged()
	})
})

describe('hostile input: tenant ids at the edge of STS limits', () => {
	it('a 64-character tenant id still makes a valid session name', async () => {
		const tenant = `${'a'.repeat(30)}-${'b'.repeat(32)}_`
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				tenantCredentials: { roleArn, sts: stack.sts.client() },
			},
			async (context) =>
				context.clients.dynamodb.send(
					get({ pk: { S: context.tenant.key('x', '1') }, sk: { S: '1' } }),
				),
		)
		await expect(invoke(tenant)).resolves.toMatchObject({ statusCode: 200 })
		expect(stack.sts.assumeRoleCalls[0]?.roleSessionName).toBe(tenant)
	})

	it('a request with no id at all (an event that is not an object, a context without awsRequestId): the session says unknown', async () => {
		const handler = middy(async (_event: unknown, context: Context) => {
			const { dynamodb } = (context as unknown as { clients: { dynamodb: DynamoDBClient } }).clients
			await dynamodb.send(get({ pk: { S: 'TENANT#acme#a' }, sk: { S: '1' } }))
			return { statusCode: 200 }
		})
			.use(handSetTenant(() => createTenantContext('acme')))
			.use(
				awsClients({
					clients: { dynamodb: DynamoDBClient },
					perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
					tenantCredentials: { roleArn, sts: stack.sts.client() },
				}),
			)
		const { awsRequestId: _, ...context } = lambdaContext()
		await expect(handler(null, context as never)).resolves.toEqual({ statusCode: 200 })
		expect(stack.sts.assumeRoleCalls.map((call) => call.roleSessionName)).toEqual(['acme@unknown'])
	})

	it('session tags STS rejects: 503, nothing sent', async () => {
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				tenantCredentials: {
					roleArn,
					sts: stack.sts.client({ maxAttempts: 1 }),
					sessionTags: () => ({ note: 'a\nb' }),
				},
			},
			async (context) =>
				context.clients.dynamodb.send(
					get({ pk: { S: context.tenant.key('x', '1') }, sk: { S: '1' } }),
				),
		)
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 503 })
		await nothingChanged()
	})
})
