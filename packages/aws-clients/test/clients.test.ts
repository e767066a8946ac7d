import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { STSClient } from '@aws-sdk/client-sts'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { clearClientCache, getClient, getClientCacheSize } from '../src/index.js'
import { countingDynamoDb, pipeline, roleArn, type Stack, startStack, table } from './harness.js'

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

const get = (pk: string) =>
	new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: '1' } } })

describe('lazy clients', () => {
	it('builds nothing, calls nothing, when the handler never touches a client', async () => {
		const { CountedDynamoDBClient, counter } = countingDynamoDb()
		const { invoke } = pipeline(
			{
				clients: { dynamodb: CountedDynamoDBClient, sts: STSClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				tenantCredentials: { roleArn, sts: stack.sts.client() },
			},
			async () => 'untouched',
		)
		for (let i = 0; i < 3; i++)
			await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
		expect(counter.built).toBe(0)
		expect(getClientCacheSize()).toBe(0)
		expect(stack.sts.assumeRoleCalls).toHaveLength(0)
		expect(stack.dynamodb.requests).toHaveLength(0)
	})

	it('builds a client on first access and reuses it across invocations of the same tenant', async () => {
		const { CountedDynamoDBClient, counter } = countingDynamoDb()
		const seen: object[] = []
		const { invoke } = pipeline(
			{
				clients: { dynamodb: CountedDynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				tenantCredentials: { roleArn, sts: stack.sts.client() },
			},
			async (context) => {
				const first = context.clients.dynamodb
				expect(context.clients.dynamodb).toBe(first)
				seen.push(first)
				await first.send(get(context.tenant.key('item', '1')))
			},
		)
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
		expect(counter.built).toBe(1)
		expect(seen[0]).toBe(seen[1])
		await expect(invoke('globex')).resolves.toMatchObject({ statusCode: 200 })
		expect(counter.built).toBe(2)
		expect(seen[2]).not.toBe(seen[0])
		expect(getClientCacheSize()).toBe(2)
	})

	it('shares one client across requests without a tenant, unguarded', async () => {
		const { CountedDynamoDBClient, counter } = countingDynamoDb()
		const { invoke } = pipeline(
			{
				clients: { dynamodb: CountedDynamoDBClient },
				config: { endpoint: stack.dynamodb.endpoint },
			},
			async (context) =>
				context.clients.dynamodb.send(
					new PutItemCommand({ TableName: table, Item: { pk: { S: 'config' }, sk: { S: 'x' } } }),
				),
			{ isolation: false },
		)
		await expect(invoke(undefined)).resolves.toMatchObject({ statusCode: 200 })
		await expect(invoke(undefined)).resolves.toMatchObject({ statusCode: 200 })
		expect(counter.built).toBe(1)
	})

	it('builds only the clients that are read', async () => {
		const { CountedDynamoDBClient, counter } = countingDynamoDb()
		const second = countingDynamoDb()
		const { invoke } = pipeline(
			{
				clients: { dynamodb: CountedDynamoDBClient, other: second.CountedDynamoDBClient },
				config: { endpoint: stack.dynamodb.endpoint },
			},
			async (context) => context.clients.other.config.serviceId,
		)
		await expect(invoke('acme')).resolves.toMatchObject({ body: '"DynamoDB"' })
		expect(counter.built).toBe(0)
		expect(second.counter.built).toBe(1)
	})

	it('names its clients without building them, and supports destructuring', async () => {
		const { invoke } = pipeline(
			{ clients: { dynamodb: DynamoDBClient, sts: STSClient } },
			async (context) => {
				const names = ['dynamodb', 'sts', 's3'].filter((name) => name in context.clients)
				expect(getClientCacheSize()).toBe(0)
				const { sts } = context.clients
				return [...names, sts.config.serviceId]
			},
		)
		await expect(invoke('acme')).resolves.toMatchObject({ body: '["dynamodb","sts","STS"]' })
		expect(getClientCacheSize()).toBe(1)
	})
})

describe('getClient: the same per-container cache outside middy', () => {
	it('returns one instance per class and config, and a new one after clearClientCache', () => {
		const a = getClient(DynamoDBClient, { region: 'eu-west-1', endpoint: stack.dynamodb.endpoint })
		const b = getClient(DynamoDBClient, { endpoint: stack.dynamodb.endpoint, region: 'eu-west-1' })
		expect(b).toBe(a)
		expect(
			getClient(DynamoDBClient, { region: 'eu-west-2', endpoint: stack.dynamodb.endpoint }),
		).not.toBe(a)
		expect(
			getClient(DynamoDBClient, { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' }),
		).not.toBe(a)
		expect(
			getClient(DynamoDBClient, {
				region: 'eu-west-1',
				endpoint: stack.dynamodb.endpoint,
				maxAttempts: 1,
			}),
		).not.toBe(a)
		expect(
			getClient(STSClient, { region: 'eu-west-1', endpoint: stack.dynamodb.endpoint }),
		).toBeInstanceOf(STSClient)
		expect(getClientCacheSize()).toBe(5)
		clearClientCache()
		expect(getClientCacheSize()).toBe(0)
		expect(
			getClient(DynamoDBClient, { region: 'eu-west-1', endpoint: stack.dynamodb.endpoint }),
		).not.toBe(a)
	})

	it('keys non-data config values (class instances, functions) by identity', () => {
		class Logger {
			debug() {}
			info() {}
			warn() {}
			error() {}
		}
		const logger = new Logger()
		const a = getClient(DynamoDBClient, { region: 'us-east-1', logger })
		expect(getClient(DynamoDBClient, { region: 'us-east-1', logger })).toBe(a)
		expect(getClient(DynamoDBClient, { region: 'us-east-1', logger: new Logger() })).not.toBe(a)
		const credentials = async () => ({ accessKeyId: 'a', secretAccessKey: 'b' })
		const c = getClient(DynamoDBClient, { region: 'us-east-1', credentials })
		expect(getClient(DynamoDBClient, { region: 'us-east-1', credentials })).toBe(c)
		expect(
			getClient(DynamoDBClient, {
				region: 'us-east-1',
				credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }),
			}),
		).not.toBe(c)
	})

	it('tells undefined, null and symbols apart in config data', () => {
		// `extra` is no SDK option: the client ignores it, the cache key reads it.
		const client = (extra: unknown) =>
			getClient(DynamoDBClient, { region: 'us-east-1', extra } as never)
		const [absent, empty] = [client([undefined]), client([null])]
		expect(client([undefined])).toBe(absent)
		expect(client([null])).toBe(empty)
		expect(empty).not.toBe(absent)
		const tag = Symbol('a')
		const a = client(tag)
		expect(client(tag)).toBe(a)
		expect(client(Symbol('b'))).not.toBe(a)
		// Two symbols of one description are two values; `Symbol.for` gives the same one again.
		expect(client(Symbol('a'))).not.toBe(a)
		const registered = client(Symbol.for('a'))
		expect(registered).not.toBe(a)
		expect(client(Symbol.for('a'))).toBe(registered)
	})

	it('keys classes by identity, not by name (bundlers rename classes)', () => {
		const { CountedDynamoDBClient } = countingDynamoDb()
		const Renamed = countingDynamoDb().CountedDynamoDBClient
		expect(Renamed.name).toBe(CountedDynamoDBClient.name)
		expect(getClient(Renamed, { region: 'us-east-1' })).not.toBe(
			getClient(CountedDynamoDBClient, { region: 'us-east-1' }),
		)
	})

	it('falls back to AWS_REGION', async () => {
		const previous = process.env.AWS_REGION
		process.env.AWS_REGION = 'ap-southeast-2'
		try {
			await expect(getClient(DynamoDBClient).config.region()).resolves.toBe('ap-southeast-2')
		} finally {
			if (previous === undefined) delete process.env.AWS_REGION
			else process.env.AWS_REGION = previous
		}
	})

	it('shares with the middleware: an unscoped client of the same config is the same instance', async () => {
		let fromMiddleware: object | undefined
		const { invoke } = pipeline(
			{ clients: { dynamodb: DynamoDBClient }, config: { region: 'us-east-1' } },
			async (context) => {
				fromMiddleware = context.clients.dynamodb
			},
			{ isolation: false },
		)
		await invoke(undefined)
		expect(getClient(DynamoDBClient, { region: 'us-east-1' })).toBe(fromMiddleware)
	})

	it('gives every tenant the unscoped client when neither the guard nor tenant credentials ask for one per tenant', async () => {
		// Nothing would differ between tenants' clients: one per tenant would only fill the
		// container's client cache (1,000 clients) and evict the clients other middlewares share.
		const seen: object[] = []
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				config: { region: 'us-east-1' },
				dynamoTenantGuard: false,
			},
			async (context) => {
				seen.push(context.clients.dynamodb)
			},
		)
		await invoke('acme')
		await invoke('globex')
		const shared = getClient(DynamoDBClient, { region: 'us-east-1' })
		expect(seen).toHaveLength(2)
		for (const client of seen) expect(client).toBe(shared)
	})
})

describe('connection reuse and timeouts', () => {
	it('gives every client the same keep-alive handler with the default pool and timeouts', async () => {
		const dynamodb = getClient(DynamoDBClient, {
			region: 'us-east-1',
			endpoint: stack.dynamodb.endpoint,
		})
		const sts = getClient(STSClient, { region: 'us-east-1' })
		// The handler resolves its configuration on its first request.
		await dynamodb.send(get('TENANT#acme#item#1'))
		const handler = dynamodb.config.requestHandler
		expect(handler).toBeInstanceOf(NodeHttpHandler)
		expect(sts.config.requestHandler).toBe(handler)
		const config = (handler as NodeHttpHandler).httpHandlerConfigs()
		expect(config).toMatchObject({
			connectionTimeout: 3_000,
			requestTimeout: 3_000,
			throwOnRequestTimeout: true,
		})
		expect(config.httpsAgent).toMatchObject({ keepAlive: true, maxSockets: 50 })
		expect(config.httpAgent).toMatchObject({ keepAlive: true, maxSockets: 50 })
	})

	it('gives middlewares with other httpHandler settings unscoped clients of their own, with those timeouts', async () => {
		// Unscoped clients are shared across the container by their recipe: a client built for one
		// middleware's timeouts must not serve another configured with different ones.
		const timeoutOf = (requestTimeout: number) =>
			pipeline(
				{
					clients: { dynamodb: DynamoDBClient },
					perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
					httpHandler: { requestTimeout },
				},
				async (context) => {
					await context.clients.dynamodb.send(get('TENANT#acme#item#1'))
					const handler = context.clients.dynamodb.config.requestHandler as NodeHttpHandler
					return handler.httpHandlerConfigs().requestTimeout
				},
				{ isolation: false },
			)
		await expect(timeoutOf(1_234).invoke(undefined)).resolves.toMatchObject({ body: '1234' })
		await expect(timeoutOf(2_345).invoke(undefined)).resolves.toMatchObject({ body: '2345' })
	})

	it('keeps a requestHandler the config brings', () => {
		const own = new NodeHttpHandler()
		expect(
			getClient(DynamoDBClient, { region: 'us-east-1', requestHandler: own }).config.requestHandler,
		).toBe(own)
	})

	it('really times out a delayed endpoint (throwOnRequestTimeout), instead of only warning', async () => {
		stack.dynamodb.faults.inject({ type: 'delay', ms: 2_000 }, { times: 1, target: 'GetItem' })
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
				httpHandler: { requestTimeout: 150 },
				// The SDK's own error, which outages would turn into a 503 (outages.test.ts).
				outages: false,
			},
			async (context) => {
				try {
					await context.clients.dynamodb.send(get(context.tenant.key('item', '1')))
					return 'answered'
				} catch (error) {
					return (error as Error).name
				}
			},
		)
		await expect(invoke('acme')).resolves.toMatchObject({ body: '"TimeoutError"' })
	})
})

describe('table name', () => {
	afterEach(() => {
		delete process.env.DYNAMODB_TABLE_NAME
	})

	it('comes from the option, else from DYNAMODB_TABLE_NAME read at factory time', async () => {
		const fromOption = pipeline(
			{ clients: { dynamodb: DynamoDBClient }, tableName: 'orders' },
			async (context) => context.tableName,
		)
		await expect(fromOption.invoke('acme')).resolves.toMatchObject({ body: '"orders"' })
		process.env.DYNAMODB_TABLE_NAME = 'from-env'
		const fromEnv = pipeline(
			{ clients: { dynamodb: DynamoDBClient } },
			async (context) => context.tableName,
		)
		await expect(fromEnv.invoke('acme')).resolves.toMatchObject({ body: '"from-env"' })
	})

	it('is undefined when set nowhere', async () => {
		const { invoke } = pipeline({ clients: { dynamodb: DynamoDBClient } }, async (context) => ({
			tableName: context.tableName ?? 'none',
		}))
		await expect(invoke('acme')).resolves.toMatchObject({ body: '{"tableName":"none"}' })
	})
})
