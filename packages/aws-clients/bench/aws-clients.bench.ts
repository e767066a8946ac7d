import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { httpApiEvent, lambdaContext, localCredentials } from '@tenantry/testing'
import { createTenantContext } from '@tenantry/util'
import { defineBench } from '../../../scripts/bench-kit.js'
import { awsClients } from '../src/index.js'

/** Answers every request at once with an empty item: the SDK pipeline without the network. */
const instantHandler = {
	metadata: { handlerProtocol: 'http/1.1' },
	handle: async () => ({
		response: {
			statusCode: 200,
			headers: { 'content-type': 'application/x-amz-json-1.0' },
			body: new TextEncoder().encode('{}'),
		},
	}),
	updateHttpClientConfig: () => undefined,
	httpHandlerConfigs: () => ({}),
}

/**
 * 1. Reaching `context.clients.dynamodb` on a warm container (middleware `before` plus the
 *    getter's cache lookup) against a module-level singleton the handler would hold.
 * 2. The cost of a tenant client's own middlewares (request binding and DynamoDB tenant guard)
 *    on a `GetItem` send, against a plain client. Target: they add at most 10%.
 * 3. The second with the SDK's `cacheMiddleware: true` on both clients, which resolves the stack
 *    once per command class instead of sorting and rebuilding it on every send: reported, no
 *    target.
 * 4. The first again with `concurrentInvocations` (Lambda Managed Instances), which enters an
 *    async context per request: reported, no target.
 */
export default defineBench(async () => {
	const config = {
		region: 'us-east-1',
		credentials: localCredentials,
		requestHandler: instantHandler,
	}
	const middleware = awsClients({ clients: { dynamodb: DynamoDBClient }, config })
	const before = middleware.before as (request: unknown) => void
	// Built by the last comparison: once one awsClients tracks requests per async context,
	// every instance in the process does, and the first two would measure that mode.
	let concurrentBefore: ((request: unknown) => void) | undefined
	const event = httpApiEvent({ method: 'GET', path: '/orders/1' })
	const lambda = lambdaContext()
	const tenant = createTenantContext('acme')
	const request = () => ({
		event,
		context: { ...lambda, tenant } as typeof lambda & {
			tenant: typeof tenant
			clients?: { dynamodb: DynamoDBClient }
		},
		response: undefined,
		error: undefined,
		internal: {},
	})
	const warm = request()
	before(warm)
	const guarded = warm.context.clients?.dynamodb as DynamoDBClient
	const singleton = new DynamoDBClient(config)
	const cachingConfig = { ...config, cacheMiddleware: true }
	const cachingMiddleware = awsClients({
		clients: { dynamodb: DynamoDBClient },
		config: cachingConfig,
	})
	const cachingWarm = request()
	;(cachingMiddleware.before as (request: unknown) => void)(cachingWarm)
	const guardedCaching = cachingWarm.context.clients?.dynamodb as DynamoDBClient
	const singletonCaching = new DynamoDBClient(cachingConfig)
	const byTenant = new Map([['acme', singleton]])
	const get = new GetItemCommand({
		TableName: 'orders',
		Key: { pk: { S: tenant.key('order', '1') }, sk: { S: 'v1' } },
	})
	let sink = 0
	const mapLookup = {
		name: 'module-level client map lookup',
		run: () => {
			const r = request()
			sink += byTenant.get(r.context.tenant.id) === singleton ? 1 : 0
		},
	}

	return {
		comparisons: [
			{
				name: 'context.clients.dynamodb, warm',
				ours: () => {
					const r = request()
					before(r)
					sink += r.context.clients?.dynamodb === guarded ? 1 : 0
				},
				peers: [{ ...mapLookup, target: 4 }],
			},
			{
				name: 'GetItem send with request binding and tenant guard',
				ours: () => guarded.send(get),
				peers: [
					{ name: 'GetItem send, plain client', run: () => singleton.send(get), target: 1.1 },
				],
			},
			{
				name: 'GetItem send with request binding and tenant guard, cacheMiddleware: true',
				ours: () => guardedCaching.send(get),
				peers: [
					{
						name: 'GetItem send, plain client, cacheMiddleware: true',
						run: () => singletonCaching.send(get),
					},
				],
			},
			{
				// Last: entering an async context here carries over into whatever the run awaits next.
				name: 'context.clients.dynamodb, warm, concurrentInvocations (Managed Instances)',
				ours: () => {
					concurrentBefore ??= awsClients({
						clients: { dynamodb: DynamoDBClient },
						config,
						concurrentInvocations: true,
					}).before as (request: unknown) => void
					const r = request()
					concurrentBefore(r)
					sink += r.context.clients?.dynamodb === undefined ? 0 : 1
				},
				peers: [mapLookup],
			},
		],
		teardown: () => {
			if (sink < 0) console.log(sink)
		},
	}
})
