import {
	DynamoDBClient,
	GetItemCommand,
	PutItemCommand,
	TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb'
import {
	DynamoDBDocumentClient,
	GetCommand,
	PutCommand,
	UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
	pipeline,
	roleArn,
	type Stack,
	startStack,
	table,
	tableItems,
	tenantDynamoDbOptions,
} from './harness.js'

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())
afterEach(() => {
	vi.useRealTimers()
})

/** acme's handler reads globex's item: the guard must refuse it, whatever STS is doing. */
const crossTenantReader = (through: 'client' | 'document client' = 'client') =>
	pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
		},
		async (context) =>
			through === 'client'
				? context.clients.dynamodb.send(
						new GetItemCommand({
							TableName: table,
							Key: { pk: { S: 'TENANT#globex#item#1' }, sk: { S: '1' } },
						}),
					)
				: DynamoDBDocumentClient.from(context.clients.dynamodb).send(
						new GetCommand({ TableName: table, Key: { pk: 'TENANT#globex#item#1', sk: '1' } }),
					),
	)

describe('the guard runs before the tenant credentials are resolved', () => {
	it.each(['client', 'document client'] as const)(
		'a cross-tenant key is a 403 reported to onViolation even while STS is failing (%s)',
		async (through) => {
			stack.sts.faults.inject({ type: 'server-error' })
			const { invoke, violations } = crossTenantReader(through)
			const response = await invoke('acme')
			expect(response.statusCode).toBe(403)
			expect(violations).toMatchObject([
				{ code: 'dynamodb_cross_tenant_key', tenant: 'acme', claimedTenant: 'globex' },
			])
		},
	)

	it('a refused request makes no AssumeRole call (nothing is sent)', async () => {
		const { invoke, violations } = crossTenantReader()
		expect((await invoke('acme')).statusCode).toBe(403)
		expect(violations).toHaveLength(1)
		expect(stack.dynamodb.requests.filter((r) => r.operation === 'GetItem')).toHaveLength(0)
		expect(stack.sts.assumeRoleCalls).toHaveLength(0)
	})
})

// The guard's rules also run before credentials are resolved, on the input as it is then.
// Whatever can still change the input before the build step must not turn a request for the
// tenant's own key into a 403: a document command's marshalling, which turns any value whose
// constructor is named String into { S }, and the application's own middlewares that complete a
// key, whatever their priority (the SDK orders middlewares of one step and priority by when they
// were added, and the guard is added when the tenant's client is built, before the application
// adds its own in the handler).

/** Where the application adds its middleware to the tenant's client. */
type Placement = { step: 'initialize'; priority?: 'low' } | { step: 'serialize'; priority: 'high' }

/**
 * acme's handler writes `item#relative`: the application scopes its keys itself, `pk` is written
 * relative to the tenant and completed by its own middleware at `placement`.
 */
const relativeKeyWriter = (placement: Placement) =>
	pipeline(tenantDynamoDbOptions(stack), async (context) => {
		const client = context.clients.dynamodb
		const completed = <A extends { input: object }>(args: A): A => {
			const input = args.input as { Item: Record<string, { S: string }> }
			const pk = input.Item.pk as { S: string }
			return {
				...args,
				input: {
					...input,
					Item: { ...input.Item, pk: { S: `${context.tenant.keyPrefix}${pk.S}` } },
				},
			}
		}
		const options = { name: 'appTenantKeys', override: true } as const
		// One call a step: the SDK types `add` per step, and no overload takes a union of steps.
		if (placement.step === 'initialize')
			client.middlewareStack.add((next) => (args) => next(completed(args)), {
				...placement,
				...options,
			})
		else
			client.middlewareStack.add((next) => (args) => next(completed(args)), {
				...placement,
				...options,
			})
		await client.send(
			new PutItemCommand({
				TableName: table,
				Item: { pk: { S: 'item#relative' }, sk: { S: '1' } },
			}),
		)
	})

/** The own-tenant write was sent as it was meant, and nothing was reported. */
const expectSent = async (
	{ invoke, violations }: ReturnType<typeof relativeKeyWriter>,
	key: string,
) => {
	const response = await invoke('acme')
	expect(violations).toEqual([])
	expect(response.statusCode).toBe(200)
	expect(await tableItems(stack)).toContainEqual(expect.stringContaining(key))
}

describe('the guard before credentials refuses only what the guard on the marshalled input refuses', () => {
	it('a document command whose own key is a String object (marshalled to { S }) is sent', async () => {
		const writer = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			await DynamoDBDocumentClient.from(context.clients.dynamodb).send(
				new PutCommand({
					TableName: table,
					// util-dynamodb marshalls it as { S: 'TENANT#acme#item#string' }
					Item: { pk: new String(`${context.tenant.keyPrefix}item#string`), sk: '1' },
				}),
			)
		})
		await expectSent(writer, 'TENANT#acme#item#string')
	})

	it('a key completed by a middleware of the application (initialize step) is sent', async () => {
		await expectSent(relativeKeyWriter({ step: 'initialize' }), 'TENANT#acme#item#relative')
	})
})

describe('a key completed by an application middleware the SDK runs after the precheck', () => {
	it.each<[string, Placement]>([
		['initialize, priority low', { step: 'initialize', priority: 'low' }],
		[
			'serialize, priority high (before credentials are resolved too)',
			{ step: 'serialize', priority: 'high' },
		],
	])('%s: the own-tenant request is sent, nothing is reported', async (_, placement) => {
		await expectSent(relativeKeyWriter(placement), 'TENANT#acme#item#relative')
	})
})

// The precheck runs the index-key rule on the input as the application wrote it: a document
// command's plain string. One that is not the tenant's key (a bare status a handler meant as the
// index key) must be refused there, before an AssumeRole, as the guard on the body would refuse it.
describe('an index partition key outside the tenant is refused before credentials are resolved', () => {
	const indexKeyWriter = (through: 'client' | 'document client' | 'document update') =>
		pipeline(
			tenantDynamoDbOptions(stack, { dynamoTenantGuard: { indexes: { byStatus: 'gsi1pk' } } }),
			async (context) => {
				const pk = `${context.tenant.keyPrefix}order#1`
				const document = DynamoDBDocumentClient.from(context.clients.dynamodb)
				if (through === 'document update') {
					await document.send(
						new UpdateCommand({
							TableName: table,
							Key: { pk, sk: '1' },
							UpdateExpression: 'SET gsi1pk = :status',
							ExpressionAttributeValues: { ':status': 'open' },
						}),
					)
					return
				}
				await (through === 'client'
					? context.clients.dynamodb.send(
							new PutItemCommand({
								TableName: table,
								Item: { pk: { S: pk }, sk: { S: '1' }, gsi1pk: { S: 'open' } },
							}),
						)
					: document.send(
							new PutCommand({ TableName: table, Item: { pk, sk: '1', gsi1pk: 'open' } }),
						))
			},
		)

	it.each(['client', 'document client', 'document update'] as const)(
		'%s: a 403 with no AssumeRole call',
		async (through) => {
			const { invoke, violations } = indexKeyWriter(through)
			expect((await invoke('acme')).statusCode).toBe(403)
			expect(violations).toMatchObject([{ code: 'dynamodb_cross_tenant_key', tenant: 'acme' }])
			expect(stack.sts.assumeRoleCalls).toHaveLength(0)
			expect(await tableItems(stack)).not.toContainEqual(expect.stringContaining('order#1'))
		},
	)
})

// A write transaction has no Get member: the SDK's serializer leaves it out, so the body sent
// would hold an empty entry, which the guard in the build step refuses too, but only once the
// tenant's session has been assumed. The precheck knows the members of a write transaction and
// refuses it first.
describe('a Get inside TransactWriteItems', () => {
	it('is refused by the precheck: a 403, no AssumeRole call, nothing sent', async () => {
		const { invoke, violations } = pipeline(tenantDynamoDbOptions(stack), async (context) =>
			context.clients.dynamodb.send(
				new TransactWriteItemsCommand({
					TransactItems: [
						{
							Get: {
								TableName: table,
								Key: { pk: { S: `${context.tenant.keyPrefix}item#1` }, sk: { S: '1' } },
							},
						} as never,
					],
				}),
			),
		)
		expect((await invoke('acme')).statusCode).toBe(403)
		expect(violations).toMatchObject([
			{ code: 'dynamodb_cross_tenant_key', tenant: 'acme', source: 'dynamodb:TransactWriteItems' },
		])
		expect(stack.sts.assumeRoleCalls).toHaveLength(0)
		expect(stack.dynamodb.requests.filter((r) => r.operation === 'TransactWriteItems')).toEqual([])
	})
})
