import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import type { MiddlewareObj } from '@middy/core'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, type LocalDynamoDb, lambdaContext, startDynamoDb } from '@tenantry/testing'
import { createTenantContext, type WithTenant } from '@tenantry/util'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import {
	type DynamoRateLimitStoreOptions,
	dynamoRateLimitStore,
	type RateLimit,
	type RateLimitStore,
	tenantRateLimit,
} from '../src/index.js'

/**
 * Stands in for tenant isolation: the tenant named in `x-tenant` becomes `context.tenant`;
 * `x-raw-tenant` is set without validation, as a careless custom middleware might.
 */
const tenantFromHeader: MiddlewareObj<
	APIGatewayProxyEventV2,
	unknown,
	Error,
	Context & WithTenant
> = {
	before: (request) => {
		const context = request.context as Context & Partial<WithTenant>
		const { 'x-tenant': tenant, 'x-raw-tenant': raw } = request.event.headers
		if (tenant) context.tenant = createTenantContext(tenant)
		if (raw !== undefined) context.tenant = { id: raw, keyPrefix: `TENANT#${raw}#`, key: () => raw }
	},
}

export interface HttpResult {
	statusCode: number
	headers: Record<string, string>
	body?: string
}

export const pipeline = (
	rateLimit: MiddlewareObj | MiddlewareObj[],
	handler: () => Promise<unknown> = async () => ({ statusCode: 200, body: 'ok' }),
	errorLogger: ((error: unknown) => void) | false = false,
) => {
	const calls = { handler: 0 }
	const wrapped = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>(async () => {
		calls.handler++
		return (await handler()) as APIGatewayProxyResultV2
	})
		.use(httpErrorHandler({ logger: errorLogger }))
		.use(tenantFromHeader)
		.use([rateLimit].flat())
	const invoke = async (
		tenant?: string,
		headers: Record<string, string> = {},
	): Promise<HttpResult> =>
		(await wrapped(
			httpApiEvent({ headers: { ...(tenant ? { 'x-tenant': tenant } : {}), ...headers } }),
			// middy types the handler's input context with what middlewares add (`tenant`).
			lambdaContext() as Context & WithTenant,
		)) as HttpResult
	return { invoke, calls }
}

export const countStatuses = (results: HttpResult[]): Record<number, number> =>
	results.reduce<Record<number, number>>((counts, { statusCode }) => {
		counts[statusCode] = (counts[statusCode] ?? 0) + 1
		return counts
	}, {})

/**
 * A `limits(tenantId)` that reads plans from the table `plans` (`pk` `TENANT#<id>`, `sk` `PLAN`,
 * `requests`; 100 when absent), as the README's example does, counting lookups started and
 * answered.
 */
export const plansTable = (client: DynamoDBClient) => {
	const counts = { lookups: 0, answered: 0 }
	const limits = async (tenantId: string): Promise<RateLimit> => {
		counts.lookups++
		const { Item } = await client.send(
			new GetItemCommand({
				TableName: 'plans',
				Key: { pk: { S: `TENANT#${tenantId}` }, sk: { S: 'PLAN' } },
			}),
		)
		counts.answered++
		return { requests: Number(Item?.requests?.N ?? 100), windowSec: 60 }
	}
	return { limits, counts }
}

/** dynalite for one test file, with a fresh table (TTL on `expiresAt`) for each test. */
export interface TablePerTest {
	readonly dynamodb: LocalDynamoDb
	/** One attempt per call: a fault injected is what the store sees. */
	readonly client: DynamoDBClient
	readonly tableName: string
	/** `dynamoRateLimitStore` on this test's table with `client`, and any other options. */
	store(options?: Partial<DynamoRateLimitStoreOptions>): RateLimitStore
	/**
	 * A limiter on this table whose plan (cached for 1 s) and clock the test changes through
	 * `state` as it goes.
	 */
	changingPlan(
		plan: RateLimit,
		now: number,
	): { invoke: ReturnType<typeof pipeline>['invoke']; state: { plan: RateLimit; now: number } }
}

export const tablePerTest = (prefix: string): TablePerTest => {
	let dynamodb: LocalDynamoDb | undefined
	let client: DynamoDBClient | undefined
	let tableName = ''
	let tables = 0
	beforeAll(async () => {
		dynamodb = await startDynamoDb()
		client = dynamodb.client({ maxAttempts: 1 })
	})
	afterAll(() => dynamodb?.stop())
	beforeEach(async () => {
		if (dynamodb === undefined) throw new Error('dynalite did not start')
		dynamodb.faults.clear()
		tableName = `${prefix}-${++tables}`
		await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
		dynamodb.clearRequests()
	})
	const started = <T>(value: T | undefined): T => {
		if (value === undefined) throw new Error('used outside a test')
		return value
	}
	return {
		get dynamodb() {
			return started(dynamodb)
		},
		get client() {
			return started(client)
		},
		get tableName() {
			return tableName
		},
		store(options = {}) {
			return dynamoRateLimitStore({ tableName, client: started(client), ...options })
		},
		changingPlan(plan, now) {
			const state = { plan, now }
			const { invoke } = pipeline(
				tenantRateLimit({
					limits: () => state.plan,
					limitsCacheTtlMs: 1_000,
					store: this.store(),
					now: () => state.now,
				}),
			)
			return { invoke, state }
		},
	}
}
