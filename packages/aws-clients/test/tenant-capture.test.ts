import {
	DynamoDBClient,
	GetItemCommand,
	PutItemCommand,
	QueryCommand,
	UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import { createTenantContext } from '@tenantry/util'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { awsClients } from '../src/index.js'
import {
	createTableWithIndex,
	handSetTenant,
	pipeline,
	type Stack,
	startStack,
	table,
	tenantDynamoDbOptions,
	tenantOfRequest,
} from './harness.js'

/**
 * Against dynalite and the STS endpoint: what must hold when writes go through an update's Key
 * and when a tenant context is set by a custom middleware instead of tenant isolation.
 */
let stack: Stack
const invTable = 'tenant-data-inverted'

beforeAll(async () => {
	stack = await startStack()
	// Single-table design's "inverted index": a GSI keyed on the table's sort key.
	await createTableWithIndex(stack, invTable, 'inverted', ['sk', 'pk'])
	await stack.admin.send(
		new PutItemCommand({
			TableName: invTable,
			Item: {
				pk: { S: 'TENANT#globex#o1' },
				sk: { S: 'TENANT#globex#open' },
				owner: { S: 'globex' },
			},
		}),
	)
	for (const pk of ['TENANT#acme#secret', 'TENANT#globex#secret']) {
		await stack.admin.send(
			new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: '1' } } }),
		)
	}
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())
afterEach(() => {
	vi.useRealTimers()
})

describe('an index keyed on the sort key', () => {
	it("refuses acme's update that would create an item in globex's partition of the index", async () => {
		let run: 'plant' | 'read' = 'plant'
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
				dynamoTenantGuard: { partitionKey: 'pk', indexes: { inverted: 'sk' } },
			},
			async (context) => {
				if (run === 'plant')
					return context.clients.dynamodb.send(
						new UpdateItemCommand({
							TableName: invTable,
							Key: { pk: { S: 'TENANT#acme#o9' }, sk: { S: 'TENANT#globex#open' } },
							UpdateExpression: 'SET #o = :o',
							ExpressionAttributeNames: { '#o': 'owner' },
							ExpressionAttributeValues: { ':o': { S: 'acme' } },
						}),
					)
				const { Items = [] } = await context.clients.dynamodb.send(
					new QueryCommand({
						TableName: invTable,
						IndexName: 'inverted',
						KeyConditionExpression: 'sk = :s',
						ExpressionAttributeValues: { ':s': { S: 'TENANT#globex#open' } },
					}),
				)
				return Items.map((item) => item.owner?.S)
			},
		)
		const planted = await invoke('acme')
		run = 'read'
		const globex = await invoke('globex')
		expect({ planted: planted.statusCode, globexSees: JSON.parse(globex.body) }).toEqual({
			planted: 403,
			globexSees: ['globex'],
		})
	})
})

describe('a context.tenant set by hand', () => {
	it('is copied, so a cached client keeps its tenant when the object is later changed to another', async () => {
		const mutable = { id: 'acme', keyPrefix: 'TENANT#acme#', key: () => '' }
		let current: unknown = mutable
		let wanted = 'TENANT#acme#secret'
		const handler = middy(
			async (_event: unknown, context: { clients: { dynamodb: DynamoDBClient } }) => {
				const { Item } = await context.clients.dynamodb.send(
					new GetItemCommand({ TableName: table, Key: { pk: { S: wanted }, sk: { S: '1' } } }),
				)
				return { statusCode: 200, body: JSON.stringify(Item?.pk?.S ?? null) }
			},
		)
			.use(httpErrorHandler({ logger: false }))
			.use(handSetTenant(() => current))
			.use(
				awsClients(tenantDynamoDbOptions(stack, { onViolation: () => undefined })),
			) as unknown as (event: unknown, context: Context) => Promise<APIGatewayProxyResult>
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now())
		// 1: a custom tenant middleware hands out a mutable (but well-formed) acme context.
		expect((await handler(httpApiEvent(), lambdaContext())).statusCode).toBe(200)
		// 2: it reuses the object for globex (e.g. a context object reused between invocations).
		Object.assign(mutable, { id: 'globex', keyPrefix: 'TENANT#globex#' })
		wanted = 'TENANT#globex#secret'
		expect((await handler(httpApiEvent(), lambdaContext())).statusCode).toBe(200)
		// 3: a genuine, frozen acme context from tenant isolation: acme's client, acme's guard.
		current = createTenantContext('acme')
		const sentBefore = stack.dynamodb.requests.length
		const crossTenant = await handler(httpApiEvent(), lambdaContext())
		expect({
			status: crossTenant.statusCode,
			sent: stack.dynamodb.requests.length - sentBefore,
		}).toEqual({
			status: 403,
			sent: 0,
		})
		// 4: once acme's session is refreshed, it is still acme's.
		vi.advanceTimersByTime(700_000)
		wanted = 'TENANT#acme#secret'
		const own = await handler(httpApiEvent(), lambdaContext())
		const signer = tenantOfRequest(stack, stack.dynamodb.requests.at(-1)?.accessKeyId)
		expect({ status: own.statusCode, body: own.body, signer }).toEqual({
			status: 200,
			body: JSON.stringify('TENANT#acme#secret'),
			signer: 'acme',
		})
	})
})
