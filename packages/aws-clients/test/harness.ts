import {
	CreateTableCommand,
	DynamoDBClient,
	type DynamoDBClientConfig,
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
import type { TenantContext, WithAuth } from '@tenantry/util'
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda'
import type { AwsClientsOptions, ClientClasses, GuardViolation, WithClients } from '../src/index.js'
import { awsClients, clearClientCache } from '../src/index.js'

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
	 */
	invoke(
		tenant: string | undefined,
		extra?: Record<string, unknown>,
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
	}: {
		isolation?: boolean
		/** A middleware to run first of all, e.g. Powertools' `captureLambdaHandler`. */
		first?: MiddlewareObj<unknown, unknown, Error, Context>
	} = {},
): Pipeline => {
	const violations: GuardViolation[] = []
	const errors: unknown[] = []
	const handler = middy(async (event: Record<string, unknown>, context: HandlerContext<C>) => ({
		statusCode: 200,
		body: JSON.stringify((await work(context, event)) ?? null),
	}))
	if (first !== undefined) handler.use(first)
	handler.use(httpErrorHandler({ logger: (error: unknown) => errors.push(error) })).use(testAuth())
	if (isolation) handler.use(tenantIsolation({ onViolation: () => undefined }))
	handler.use(
		awsClients({ onViolation: (violation) => void violations.push(violation), ...options }),
	)
	const run = handler as unknown as (
		event: unknown,
		context: Context,
	) => Promise<APIGatewayProxyResult>
	return {
		invoke: (tenant, { requestId, ...extra } = {}) =>
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
				lambdaContext(),
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
