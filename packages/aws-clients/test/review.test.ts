import {
	BatchWriteItemCommand,
	DynamoDBClient,
	GetItemCommand,
	PutItemCommand,
	UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
	createGlobexOrderViews,
	globexSeesInView,
	pipeline,
	roleArn,
	type Stack,
	startStack,
	table,
} from './harness.js'

/**
 * Review findings for the DynamoDB tenant guard. Every test here failed on the reviewed code
 * and describes the behaviour a user of the guard would expect; it now guards the fix.
 */

let stack: Stack
const gsiTable = 'tenant-data-gsi'
/** One index partition of globex per test, so a planted item shows in that test only. */
const views = ['open', 'due', 'late'] as const

beforeAll(async () => {
	stack = await startStack()
	// A table with a global secondary index keyed by tenant too, the shape the README's
	// `indexes: { byStatus: 'gsi1pk' }` example describes.
	await createGlobexOrderViews(stack, gsiTable, views)
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())
afterEach(() => {
	vi.useRealTimers()
})

type Send = (client: DynamoDBClient) => Promise<unknown>

const guarded = () => {
	let send: Send = async () => undefined
	const run = pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			dynamoTenantGuard: { partitionKey: 'pk', indexes: { byStatus: 'gsi1pk' } },
		},
		async (context) => send(context.clients.dynamodb),
	)
	return {
		...run,
		as: (tenant: string, next: Send) => {
			send = next
			return run.invoke(tenant, { requestId: 'req-review' })
		},
	}
}

const globexSees = (view: (typeof views)[number]) => globexSeesInView(stack, gsiTable, view)

describe('review: index partition keys are not guarded on writes', () => {
	// The guard lets globex query `byStatus` because `gsi1pk` is bound to `TENANT#globex#…`:
	// it trusts every `gsi1pk` under that prefix to be globex's. Writes never check `gsi1pk`,
	// so acme's guarded client can put items there, and globex's own query returns them
	// (IAM `dynamodb:LeadingKeys` on the table key does not see it either).
	it('PutItem: acme cannot plant an item in an index partition of globex', async () => {
		const { as, violations } = guarded()
		const response = await as('acme', (client) =>
			client.send(
				new PutItemCommand({
					TableName: gsiTable,
					Item: {
						pk: { S: 'TENANT#acme#order#9' },
						sk: { S: 'ORDER' },
						gsi1pk: { S: 'TENANT#globex#open' },
						owner: { S: 'acme' },
					},
				}),
			),
		)
		expect({
			status: response.statusCode,
			violations: violations.map((v) => v.code),
			globexSees: await globexSees('open'),
		}).toEqual({ status: 403, violations: ['dynamodb_cross_tenant_key'], globexSees: ['globex'] })
	})

	it("UpdateItem: acme cannot move its own item into globex's index partition with SET gsi1pk", async () => {
		await stack.admin.send(
			new PutItemCommand({
				TableName: gsiTable,
				Item: { pk: { S: 'TENANT#acme#order#7' }, sk: { S: 'ORDER' }, owner: { S: 'acme' } },
			}),
		)
		const { as } = guarded()
		const response = await as('acme', (client) =>
			client.send(
				new UpdateItemCommand({
					TableName: gsiTable,
					Key: { pk: { S: 'TENANT#acme#order#7' }, sk: { S: 'ORDER' } },
					UpdateExpression: 'SET gsi1pk = :g',
					ExpressionAttributeValues: { ':g': { S: 'TENANT#globex#due' } },
				}),
			),
		)
		expect({ status: response.statusCode, globexSees: await globexSees('due') }).toEqual({
			status: 403,
			globexSees: ['globex'],
		})
	})

	it('BatchWriteItem: a PutRequest naming globex in an index key is refused', async () => {
		const { as } = guarded()
		const response = await as('acme', (client) =>
			client.send(
				new BatchWriteItemCommand({
					RequestItems: {
						[gsiTable]: [
							{
								PutRequest: {
									Item: {
										pk: { S: 'TENANT#acme#order#8' },
										sk: { S: 'ORDER' },
										gsi1pk: { S: 'TENANT#globex#late' },
										owner: { S: 'acme' },
									},
								},
							},
						],
					},
				}),
			),
		)
		expect({ status: response.statusCode, globexSees: await globexSees('late') }).toEqual({
			status: 403,
			globexSees: ['globex'],
		})
	})
})

describe('review: tenant credentials while STS fails', () => {
	it('a failed refresh is not retried by every request that is then served the still-valid session', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now())
		const sts = stack.sts.client({ maxAttempts: 1 })
		let attempts = 0
		const countingSts = {
			send: (command: never) => {
				attempts++
				return sts.send(command)
			},
		}
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				tenantCredentials: { roleArn, sts: countingSts },
			},
			async (context) =>
				context.clients.dynamodb.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: context.tenant.key('item', '1') }, sk: { S: '1' } },
					}),
				),
		)
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
		expect(attempts).toBe(1)
		// Inside the refresh window (credentials valid for 200 s more), STS starts failing.
		stack.sts.faults.inject({ type: 'server-error' })
		vi.advanceTimersByTime(700_000)
		const statuses = []
		for (let i = 0; i < 10; i++) statuses.push((await invoke('acme')).statusCode)
		expect(statuses).toEqual(Array(10).fill(200))
		// Expected: one failed refresh, then the old session is served at once for a while (as
		// @tenantry/cache's failureBackoffMs does for hmac-auth's secrets). Observed: every
		// request makes its own AssumeRole calls and waits for them to fail (3 per request, as
		// the SDK resolves credentials several times per send: 30 here); with STS slow rather
		// than failing fast, each request waits the STS timeout that many times.
		expect(attempts - 1).toBeLessThanOrEqual(2)
	})
})
