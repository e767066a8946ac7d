import {
	CreateTableCommand,
	DynamoDBClient,
	type DynamoDBClientConfig,
	GetItemCommand,
	PutItemCommand,
	QueryCommand,
	ScanCommand,
} from '@aws-sdk/client-dynamodb'
import middy, { type MiddlewareObj } from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import {
	httpApiEvent,
	type LocalDynamoDb,
	type LocalSts,
	lambdaContext,
	localCredentials,
	type StartStsOptions,
	startDynamoDb,
	startSts,
} from '@tenantry/testing'
import { createTenantContext, type TenantContext, type WithAuth } from '@tenantry/util'
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda'
import type {
	AwsClientsOptions,
	AwsClientsPlugin,
	ClientClasses,
	GuardViolation,
	WithClients,
} from '../src/index.js'
import { awsClients, awsClientsPlugin, clearClientCache } from '../src/index.js'

export const roleArn = 'arn:aws:iam::000000000000:role/tenant-data-access'
export const table = 'tenant-data'

export interface Stack {
	dynamodb: LocalDynamoDb
	sts: LocalSts
	/** An unguarded client with the stack's own credentials, for seeding and checking. */
	admin: DynamoDBClient
	/** Between tests: no cached clients, no recorded requests or STS calls, no faults. */
	reset(): void
	stop(): Promise<void>
}

/** What a Lambda sandbox has: a region and the function's own credentials. */
const lambdaEnv = {
	AWS_REGION: 'us-east-1',
	AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
	AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
}

export const startStack = async (stsOptions: StartStsOptions = {}): Promise<Stack> => {
	const [dynamodb, sts] = await Promise.all([startDynamoDb(), startSts(stsOptions)])
	await dynamodb.createTable(table)
	const admin = dynamodb.client()
	const previous = Object.fromEntries(
		Object.keys(lambdaEnv).map((name) => [name, process.env[name]]),
	)
	Object.assign(process.env, lambdaEnv)
	return {
		dynamodb,
		sts,
		admin,
		reset: () => {
			clearClientCache()
			dynamodb.clearRequests()
			dynamodb.faults.clear()
			sts.resetCalls()
			sts.faults.clear()
		},
		stop: async () => {
			for (const [name, value] of Object.entries(previous)) {
				if (value === undefined) delete process.env[name]
				else process.env[name] = value
			}
			await Promise.all([dynamodb.stop(), sts.stop()])
		},
	}
}

/** Every item of the table, as the admin sees it, sorted. */
export const tableItems = async (stack: Stack): Promise<string[]> => {
	const { Items = [] } = await stack.admin.send(new ScanCommand({ TableName: table }))
	return Items.map((item) => JSON.stringify(item)).sort()
}

/** Stands in for jwt-auth / hmac-auth: the caller's tenant comes from the `x-test-tenant` header. */
export const testAuth = (): MiddlewareObj<unknown, unknown, Error, Context & WithAuth> => ({
	before: (request) => {
		const headers = (request.event as APIGatewayProxyEventV2 | null)?.headers
		request.context.auth = { method: 'test', tenantId: headers?.['x-test-tenant'] }
	},
})

/** A custom tenant middleware: puts whatever `tenantOf()` returns on `context.tenant`, unchecked. */
export const handSetTenant = (
	tenantOf: () => unknown,
): MiddlewareObj<unknown, unknown, Error, Context> => ({
	before: (request) => {
		;(request.context as unknown as { tenant: unknown }).tenant = tenantOf()
	},
})

/**
 * Options for one DynamoDB client on the stack, one attempt per call, signed with each tenant's
 * session from the stack's STS endpoint.
 */
export const tenantDynamoDbOptions = <
	E extends Partial<AwsClientsOptions<{ dynamodb: typeof DynamoDBClient }>>,
>(
	stack: Stack,
	extra: E = {} as E,
) => ({
	clients: { dynamodb: DynamoDBClient },
	perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
	tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
	...extra,
})

/** A DynamoDB client class counting its constructions. */
export const countingDynamoDb = () => {
	const counter = { built: 0 }
	class CountedDynamoDBClient extends DynamoDBClient {
		constructor(config: DynamoDBClientConfig) {
			super(config)
			counter.built++
		}
	}
	return { CountedDynamoDBClient, counter }
}

export type HandlerContext<C extends ClientClasses> = Context &
	WithClients<C> & { tenant: TenantContext }

export interface Pipeline {
	/**
	 * Runs one request as `tenant` (no `x-test-tenant` header when undefined); `extra`
	 * fields go onto the event, except `requestId`, which becomes the API Gateway request id.
	 * `context` replaces the fresh Lambda context each request gets.
	 */
	invoke(
		tenant: string | undefined,
		extra?: Record<string, unknown>,
		context?: Context,
	): Promise<APIGatewayProxyResult>
	violations: GuardViolation[]
	errors: unknown[]
}

/**
 * error handler → test auth → tenantIsolation → awsClients → handler, as users run it.
 * The handler's return value becomes the JSON body of a 200.
 */
export const pipeline = <C extends ClientClasses>(
	options: AwsClientsOptions<C>,
	work: (context: HandlerContext<C>, event: Record<string, unknown>) => Promise<unknown>,
	{
		isolation = true,
		first,
		last,
		plugin,
	}: {
		isolation?: boolean
		/** A middleware to run first of all, e.g. Powertools' `captureLambdaHandler`. */
		first?: MiddlewareObj<unknown, unknown, Error, Context>
		/** A middleware registered after awsClients. */
		last?: MiddlewareObj<unknown, unknown, Error, Context>
		/** middy's plugin argument, e.g. `awsClientsPlugin()`. */
		plugin?: AwsClientsPlugin
	} = {},
): Pipeline => {
	const violations: GuardViolation[] = []
	const errors: unknown[] = []
	const handler = middy(
		async (event: Record<string, unknown>, context: HandlerContext<C>) => ({
			statusCode: 200,
			body: JSON.stringify((await work(context, event)) ?? null),
		}),
		plugin,
	)
	if (first !== undefined) handler.use(first)
	handler.use(httpErrorHandler({ logger: (error: unknown) => errors.push(error) })).use(testAuth())
	if (isolation) handler.use(tenantIsolation({ onViolation: () => undefined }))
	handler.use(
		awsClients({ onViolation: (violation) => void violations.push(violation), ...options }),
	)
	if (last !== undefined) handler.use(last)
	const run = handler as unknown as (
		event: unknown,
		context: Context,
	) => Promise<APIGatewayProxyResult>
	return {
		invoke: (tenant, { requestId, ...extra } = {}, context = lambdaContext()) =>
			run(
				{
					...httpApiEvent({
						method: 'POST',
						path: '/items',
						headers: tenant === undefined ? {} : { 'x-test-tenant': tenant },
						...(typeof requestId === 'string' ? { requestId } : {}),
					}),
					...extra,
				},
				context,
			),
		violations,
		errors,
	}
}

/** The tenant whose STS session signed a request, from the local STS record. */
export const tenantOfRequest = (
	stack: Stack,
	accessKeyId: string | undefined,
): string | undefined => stack.sts.callForAccessKey(accessKeyId)?.tags.tenant_id

/**
 * Creates a `pk`/`sk` table with one global secondary index on `indexKeys` (hash, then range),
 * declaring every attribute the keys use.
 */
export const createTableWithIndex = async (
	stack: Stack,
	tableName: string,
	indexName: string,
	indexKeys: [string, ...string[]],
): Promise<void> => {
	const attributes = [...new Set(['pk', 'sk', ...indexKeys])]
	await stack.admin.send(
		new CreateTableCommand({
			TableName: tableName,
			BillingMode: 'PAY_PER_REQUEST',
			AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
			KeySchema: [
				{ AttributeName: 'pk', KeyType: 'HASH' },
				{ AttributeName: 'sk', KeyType: 'RANGE' },
			],
			GlobalSecondaryIndexes: [
				{
					IndexName: indexName,
					KeySchema: indexKeys.map((name, position) => ({
						AttributeName: name,
						KeyType: position === 0 ? 'HASH' : 'RANGE',
					})),
					Projection: { ProjectionType: 'ALL' },
				},
			],
		}),
	)
}

/**
 * A table whose `byStatus` index is keyed by `gsi1pk`, holding one globex order in each of
 * globex's `views` of it (`gsi1pk = TENANT#globex#<view>`): a view a planted item shows in.
 */
export const createGlobexOrderViews = async (
	stack: Stack,
	tableName: string,
	views: readonly string[],
): Promise<void> => {
	await createTableWithIndex(stack, tableName, 'byStatus', ['gsi1pk'])
	for (const view of views) {
		await stack.admin.send(
			new PutItemCommand({
				TableName: tableName,
				Item: {
					pk: { S: `TENANT#globex#order#${view}` },
					sk: { S: 'ORDER' },
					gsi1pk: { S: `TENANT#globex#${view}` },
					owner: { S: 'globex' },
				},
			}),
		)
	}
}

/** The owners of the items globex's own guarded `byStatus` query returns for one of its views. */
export const globexSeesInView = async (
	stack: Stack,
	tableName: string,
	view: string,
): Promise<unknown[]> => {
	const reader = pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			dynamoTenantGuard: { indexes: { byStatus: 'gsi1pk' } },
		},
		async (context) => {
			const { Items = [] } = await context.clients.dynamodb.send(
				new QueryCommand({
					TableName: tableName,
					IndexName: 'byStatus',
					KeyConditionExpression: 'gsi1pk = :p',
					ExpressionAttributeValues: { ':p': { S: `${context.tenant.keyPrefix}${view}` } },
				}),
			)
			return Items.map((item) => item.owner?.S)
		},
	)
	const response = await reader.invoke('globex')
	if (response.statusCode !== 200) throw new Error(`globex's query answered ${response.statusCode}`)
	return JSON.parse(response.body)
}

/**
 * Lambda Managed Instances run many invocations at once in one Node.js thread, sharing the
 * middleware instance. Here acme's handler waits until globex's request has been set up, then
 * does its `work`, so anything kept per process or per instance would name globex's request.
 */
export const interleaved = (
	stack: Stack,
	work: (client: DynamoDBClient, tenantKey: string) => Promise<unknown>,
	concurrentInvocations?: boolean,
) => {
	let globexStarted = () => {}
	const gate = new Promise<void>((resolve) => {
		globexStarted = resolve
	})
	let globexMayFinish = () => {}
	const globexGate = new Promise<void>((resolve) => {
		globexMayFinish = resolve
	})
	const run = pipeline(tenantDynamoDbOptions(stack, { concurrentInvocations }), async (context) => {
		if (context.tenant.id === 'globex') {
			globexStarted()
			await globexGate
			return 'globex done'
		}
		await gate
		try {
			return await work(context.clients.dynamodb, context.tenant.key('item', '1'))
		} finally {
			globexMayFinish()
		}
	})
	const both = Promise.all([
		run.invoke('acme', { requestId: 'req-acme' }),
		run.invoke('globex', { requestId: 'req-globex', rawPath: '/other' }),
	])
	return { run, both }
}

/** acme reads globex's item while globex's invocation is in flight. */
export const crossTenantRead = (stack: Stack, concurrentInvocations?: boolean) =>
	interleaved(
		stack,
		(client) =>
			client.send(
				new GetItemCommand({
					TableName: table,
					Key: { pk: { S: 'TENANT#globex#item#1' }, sk: { S: '1' } },
				}),
			),
		concurrentInvocations,
	)

/** acme reads its own item while globex's invocation is in flight. */
export const ownRead = (stack: Stack, concurrentInvocations?: boolean) =>
	interleaved(
		stack,
		(client, key) =>
			client.send(
				new GetItemCommand({ TableName: table, Key: { pk: { S: key }, sk: { S: '1' } } }),
			),
		concurrentInvocations,
	)

/** Runs `run` with `AWS_LAMBDA_MAX_CONCURRENCY` set as Lambda sets it for Managed Instances. */
export const withMaxConcurrency = async (value: string, run: () => Promise<void>) => {
	const previous = process.env.AWS_LAMBDA_MAX_CONCURRENCY
	process.env.AWS_LAMBDA_MAX_CONCURRENCY = value
	try {
		await run()
	} finally {
		if (previous === undefined) delete process.env.AWS_LAMBDA_MAX_CONCURRENCY
		else process.env.AWS_LAMBDA_MAX_CONCURRENCY = previous
	}
}

/** Where code holding a tenant client kept from an earlier request runs, relative to awsClients. */
export type KeptClientSpot =
	| 'before of an earlier middleware'
	| 'onError of an earlier middleware'
	| 'onError of a later middleware'

/**
 * acme's handler keeps its client; a middleware at `spot` reads acme's secret item with it in
 * every later request. `outcomes` collects what each read got: the item's key, or the status.
 */
export const keptClientAt = (
	stack: Stack,
	spot: KeptClientSpot,
	{
		concurrentInvocations = false,
		plugin,
	}: { concurrentInvocations?: boolean; plugin?: AwsClientsPlugin } = {},
) => {
	let kept: DynamoDBClient | undefined
	const outcomes: unknown[] = []
	const use = async () => {
		if (kept !== undefined) outcomes.push(await readSecret(kept))
	}
	const spy: MiddlewareObj<unknown, unknown, Error, Context> =
		spot === 'before of an earlier middleware' ? { before: use } : { onError: use }
	const run = pipeline(
		tenantDynamoDbOptions(stack, { concurrentInvocations }),
		async (context) => {
			kept ??= context.clients.dynamodb
			return 'ok'
		},
		spot === 'onError of a later middleware' ? { last: spy, plugin } : { first: spy, plugin },
	)
	return { run, outcomes }
}

/**
 * With `awsClientsPlugin()` on both: acme's request calls a route, a middy handler with its own
 * awsClients, with the same Lambda context, as a router does; both read acme's secret item, the
 * request once more after the route returned. The body is `{ routed, after }`: each read's
 * item key, or its status.
 */
export const routedRequest = (stack: Stack, concurrentInvocations = false) => {
	const options = tenantDynamoDbOptions(stack, { concurrentInvocations })
	const route = nestedHandler(stack, {
		concurrentInvocations,
		work: async (client) => readSecret(client),
	})
	return pipeline(
		options,
		async (context, event) => {
			const routed = await route(event, context)
			return { routed, after: await readSecret(context.clients.dynamodb) }
		},
		{ plugin: awsClientsPlugin() },
	)
}

/**
 * With `awsClientsPlugin()` everywhere: acme's request calls handlers of `inner` tenants with
 * copies of its Lambda context (the same invocation), at once, each keeping its client and
 * reading acme's secret item with acme's client; then acme reads it again with its own client
 * and with each inner tenant's. The body is `{ inside, own, viaInner }`: each read's item key,
 * or its status.
 */
export const reentrantRequest = (
	stack: Stack,
	{
		concurrentInvocations = false,
		first,
		inner = ['globex'],
	}: {
		concurrentInvocations?: boolean
		first?: MiddlewareObj<unknown, unknown, Error, Context>
		inner?: string[]
	} = {},
) => {
	const options = tenantDynamoDbOptions(stack, { concurrentInvocations })
	let acmeClient: DynamoDBClient | undefined
	const innerClients: DynamoDBClient[] = []
	const handlers = inner.map((tenant) =>
		nestedHandler(stack, {
			tenant,
			concurrentInvocations,
			first,
			work: async (client) => {
				innerClients.push(client)
				return readSecret(acmeClient)
			},
		}),
	)
	return pipeline(
		options,
		async (context, event) => {
			acmeClient = context.clients.dynamodb
			const inside = await Promise.all(handlers.map((handler) => handler(event, { ...context })))
			return {
				inside,
				own: await readSecret(acmeClient),
				viaInner: await Promise.all(innerClients.map((client) => readSecret(client))),
			}
		},
		{ plugin: awsClientsPlugin(), first },
	)
}

/** Reads `tenant`'s secret item through `client`: the item's key, or the status of the refusal. */
export const readSecret = (client: DynamoDBClient | undefined, tenant = 'acme') =>
	client
		?.send(
			new GetItemCommand({
				TableName: table,
				Key: { pk: { S: `TENANT#${tenant}#secret` }, sk: { S: '1' } },
			}),
		)
		.then(
			(output) => output.Item?.pk?.S,
			(error: { statusCode?: number }) => error.statusCode,
		)

/**
 * A Lambda context without `awsRequestId`, as some hosts and tests pass: only the object
 * itself then tells one invocation from another.
 */
export const contextWithoutRequestId = (): Context =>
	({ ...lambdaContext(), awsRequestId: undefined }) as unknown as Context

/** A promise to wait on and the function that resolves it. */
export const gate = () => {
	let open = () => {}
	const opened = new Promise<void>((resolve) => {
		open = resolve
	})
	return { open, opened }
}

/**
 * A middy handler of its own awsClients, to be called inside another request: for `tenant`
 * (else the tenant on the context it is given), with `awsClientsPlugin()` unless `plugin` is
 * false; its handler does `work` with its DynamoDB client.
 */
export const nestedHandler = (
	stack: Stack,
	{
		tenant,
		plugin = true,
		concurrentInvocations = false,
		first,
		work,
	}: {
		tenant?: string
		plugin?: boolean
		concurrentInvocations?: boolean
		first?: MiddlewareObj<unknown, unknown, Error, Context>
		work: (client: DynamoDBClient) => Promise<unknown>
	},
) => {
	const handler = middy(
		async (_event: unknown, context: { clients: { dynamodb: DynamoDBClient } }) =>
			work(context.clients.dynamodb),
		plugin ? awsClientsPlugin() : undefined,
	)
	if (first !== undefined) handler.use(first)
	if (tenant !== undefined) handler.use(handSetTenant(() => createTenantContext(tenant)))
	handler.use(awsClients(tenantDynamoDbOptions(stack, { concurrentInvocations })))
	return handler as unknown as (event: unknown, context: unknown) => Promise<unknown>
}

/** Puts each tenant's secret item into the stack's table. */
export const seedSecrets = async (stack: Stack, tenants: readonly string[]) => {
	for (const tenant of tenants) {
		await stack.admin.send(
			new PutItemCommand({
				TableName: table,
				Item: { pk: { S: `TENANT#${tenant}#secret` }, sk: { S: '1' } },
			}),
		)
	}
}

/**
 * With `awsClientsPlugin()` on both: acme's request calls a route that keeps its client and
 * returns without waiting for it; once the request has been answered, the route ends. What
 * the request answered, and what the kept client then reads.
 */
export const routeLeftRunning = async (stack: Stack, concurrentInvocations = false) => {
	let kept: DynamoDBClient | undefined
	const routeMayEnd = gate()
	let routeDone: Promise<unknown> = Promise.resolve()
	const route = nestedHandler(stack, {
		concurrentInvocations,
		work: async (client) => {
			kept = client
			await routeMayEnd.opened
			return 'routed'
		},
	})
	const run = pipeline(
		tenantDynamoDbOptions(stack, { concurrentInvocations }),
		async (context, event) => {
			routeDone = route(event, context)
			return 'ok'
		},
		{ plugin: awsClientsPlugin() },
	)
	const { statusCode } = await run.invoke('acme')
	routeMayEnd.open()
	await routeDone
	return { statusCode, afterwards: await readSecret(kept) }
}
