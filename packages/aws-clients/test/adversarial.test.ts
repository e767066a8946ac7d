import {
	BatchGetItemCommand,
	BatchWriteItemCommand,
	DeleteItemCommand,
	DynamoDBClient,
	GetItemCommand,
	PutItemCommand,
	QueryCommand,
	TransactGetItemsCommand,
	TransactWriteItemsCommand,
	UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import {
	BatchWriteCommand,
	DeleteCommand,
	QueryCommand as DocQueryCommand,
	DynamoDBDocumentClient,
	GetCommand,
	PutCommand,
	UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { awsClients, type GuardViolation } from '../src/index.js'
import {
	type HandlerContext,
	roleArn,
	type Stack,
	startStack,
	table,
	tableItems,
	tenantOfRequest,
	testAuth,
} from './harness.js'

const operations = [
	'get',
	'put',
	'update',
	'delete',
	'query',
	'batchGet',
	'batchWrite',
	'transactGet',
	'transactWrite',
] as const
type Operation = (typeof operations)[number]

interface Attempt {
	operation: Operation
	/** The tenant whose key the request names. */
	named: 'acme' | 'globex'
	/** Where it names it: only in the body (the guard must stop it) or also in the path (isolation does). */
	inPath: boolean
	document: boolean
	id: number
}

const attempt: fc.Arbitrary<Attempt> = fc.record({
	operation: fc.constantFrom(...operations),
	named: fc.constantFrom('acme' as const, 'globex' as const),
	inPath: fc.boolean(),
	document: fc.boolean(),
	id: fc.integer({ min: 0, max: 9 }),
})

const k = (pk: string) => ({ pk: { S: pk }, sk: { S: 'v' } })

/** What a careless handler does: trusts the tenant the request names. */
const perform = async (client: DynamoDBClient, { operation, named, document, id }: Attempt) => {
	const pk = `TENANT#${named}#item#${id}`
	const docClient = DynamoDBDocumentClient.from(client)
	switch (operation) {
		case 'get':
			return document
				? docClient.send(new GetCommand({ TableName: table, Key: { pk, sk: 'v' } }))
				: client.send(new GetItemCommand({ TableName: table, Key: k(pk) }))
		case 'put':
			return document
				? docClient.send(
						new PutCommand({ TableName: table, Item: { pk, sk: 'v', owner: 'written' } }),
					)
				: client.send(
						new PutItemCommand({ TableName: table, Item: { ...k(pk), owner: { S: 'written' } } }),
					)
		case 'update':
			return document
				? docClient.send(
						new UpdateCommand({
							TableName: table,
							Key: { pk, sk: 'v' },
							UpdateExpression: 'SET #o = :o',
							ExpressionAttributeNames: { '#o': 'owner' },
							ExpressionAttributeValues: { ':o': 'updated' },
						}),
					)
				: client.send(
						new UpdateItemCommand({
							TableName: table,
							Key: k(pk),
							UpdateExpression: 'SET #o = :o',
							ExpressionAttributeNames: { '#o': 'owner' },
							ExpressionAttributeValues: { ':o': { S: 'updated' } },
						}),
					)
		case 'delete':
			return document
				? docClient.send(new DeleteCommand({ TableName: table, Key: { pk, sk: 'v' } }))
				: client.send(new DeleteItemCommand({ TableName: table, Key: k(pk) }))
		case 'query':
			return document
				? docClient.send(
						new DocQueryCommand({
							TableName: table,
							KeyConditionExpression: 'pk = :p',
							ExpressionAttributeValues: { ':p': pk },
						}),
					)
				: client.send(
						new QueryCommand({
							TableName: table,
							KeyConditionExpression: '#k = :p AND sk = :s',
							ExpressionAttributeNames: { '#k': 'pk' },
							ExpressionAttributeValues: { ':p': { S: pk }, ':s': { S: 'v' } },
						}),
					)
		case 'batchGet':
			return client.send(
				new BatchGetItemCommand({
					RequestItems: { [table]: { Keys: [k('TENANT#acme#profile'), k(pk)] } },
				}),
			)
		case 'batchWrite':
			return document
				? docClient.send(
						new BatchWriteCommand({
							RequestItems: { [table]: [{ DeleteRequest: { Key: { pk, sk: 'v' } } }] },
						}),
					)
				: client.send(
						new BatchWriteItemCommand({
							RequestItems: {
								[table]: [{ PutRequest: { Item: { ...k(pk), owner: { S: 'batch' } } } }],
							},
						}),
					)
		case 'transactGet':
			return client.send(
				new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: table, Key: k(pk) } }] }),
			)
		case 'transactWrite':
			return client.send(
				new TransactWriteItemsCommand({
					TransactItems: [{ Delete: { TableName: table, Key: k(pk) } }],
				}),
			)
	}
}

let stack: Stack
let globexItems: string[]

beforeAll(async () => {
	stack = await startStack()
	for (let id = 0; id < 10; id++) {
		for (const tenant of ['acme', 'globex']) {
			await stack.admin.send(
				new PutItemCommand({
					TableName: table,
					Item: { ...k(`TENANT#${tenant}#item#${id}`), owner: { S: `${tenant}-original` } },
				}),
			)
		}
	}
	globexItems = (await tableItems(stack)).filter((item) => item.includes('TENANT#globex#'))
	expect(globexItems).toHaveLength(10)
	stack.dynamodb.clearRequests()
})
afterAll(() => stack.stop())

describe('two tenants, one careless handler: 1,000 randomized requests from acme', () => {
	it('never reads or writes a globex item', async () => {
		const guardViolations: GuardViolation[] = []
		const handler = middy(
			async (
				event: { attempt: Attempt },
				context: HandlerContext<{ dynamodb: typeof DynamoDBClient }>,
			) => {
				try {
					await perform(context.clients.dynamodb, event.attempt)
					return { statusCode: 200, body: 'done' }
				} catch (error) {
					if ((error as { statusCode?: number }).statusCode === 403) throw error
					// dynalite has no transactions: own-tenant ones are sent and answered with this.
					expect((error as Error).name).toBe('UnknownOperationException')
					return { statusCode: 200, body: 'sent' }
				}
			},
		)
			.use(httpErrorHandler({ logger: false }))
			.use(testAuth())
			.use(tenantIsolation({ match: { pathParameter: 'tenantId' }, onViolation: () => undefined }))
			.use(
				awsClients({
					clients: { dynamodb: DynamoDBClient },
					perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
					tenantCredentials: { roleArn, sts: stack.sts.client() },
					onViolation: (violation) => void guardViolations.push(violation),
				}),
			) as unknown as (event: unknown, context: Context) => Promise<APIGatewayProxyResult>

		let acmeRequests = 0
		let stoppedByGuard = 0
		await fc.assert(
			fc.asyncProperty(attempt, async (a) => {
				const event = {
					...httpApiEvent({
						method: 'POST',
						path: `/tenants/${a.named}/items/${a.id}`,
						headers: { 'x-test-tenant': 'acme' },
						...(a.inPath ? { pathParameters: { tenantId: a.named } } : {}),
					}),
					attempt: a,
				}
				const violationsBefore = guardViolations.length
				const response = await handler(event, lambdaContext())
				if (a.named === 'acme') {
					acmeRequests++
					expect(response.statusCode).toBe(200)
				} else {
					expect(response).toMatchObject({ statusCode: 403, body: 'Forbidden' })
					// Named only in the body, the request reached the handler: the guard stopped it.
					expect(guardViolations.length - violationsBefore).toBe(a.inPath ? 0 : 1)
					if (!a.inPath) stoppedByGuard++
				}
			}),
			{ numRuns: 1_000 },
		)

		expect(acmeRequests).toBeGreaterThan(300)
		expect(stoppedByGuard).toBeGreaterThan(100)
		// The request log: one request per acme-named attempt, all signed by acme's session,
		// and not one naming a globex key.
		const requests = stack.dynamodb.requests
		expect(requests).toHaveLength(acmeRequests)
		for (const request of requests) {
			expect(tenantOfRequest(stack, request.accessKeyId)).toBe('acme')
			expect(JSON.stringify(request.input)).not.toContain('TENANT#globex#')
		}
		expect(stack.sts.assumeRoleCalls.map((call) => call.tags.tenant_id)).toEqual(['acme'])
		// The table: every globex item exactly as seeded.
		expect((await tableItems(stack)).filter((item) => item.includes('TENANT#globex#'))).toEqual(
			globexItems,
		)
	})
})
