import { Tracer } from '@aws-lambda-powertools/tracer'
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
	DeleteCommand,
	DynamoDBDocumentClient,
	GetCommand,
	PutCommand,
} from '@aws-sdk/lib-dynamodb'
import middy, { type MiddlewareObj, type Request } from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import { createError } from '@middy/util'
import { awsClients, awsClientsPlugin, getClient } from '@tenantry/aws-clients'
import { jwtAuth } from '@tenantry/jwt-auth'
import { dynamoRateLimitStore, tenantRateLimit } from '@tenantry/rate-limit'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import { hasOnlyExactNumbers, logHttpError, methodOf, quietClientErrors } from '@tenantry/util'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda'

/** Required configuration, read at cold start so a missing variable fails the first invocation loudly. */
const env = (name: string): string => {
	const value = process.env[name]
	if (!value) throw new Error(`environment variable ${name} is not set`)
	return value
}

const tableName = env('DYNAMODB_TABLE_NAME')
const tracer = new Tracer({ serviceName: 'tenant-api' })

// Cognito when a user pool is configured, any OpenID provider otherwise.
const authentication = process.env.COGNITO_USER_POOL_ID
	? { cognito: { clientId: env('COGNITO_CLIENT_ID'), tokenUse: 'access' as const } }
	: { issuers: { issuer: env('ISSUER'), audience: env('AUDIENCE') } }

/** One Document client per tenant-scoped client: both live as long as the container. */
const documentClients = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>()
const documentsOf = (client: DynamoDBClient): DynamoDBDocumentClient => {
	let documents = documentClients.get(client)
	if (documents === undefined) {
		documents = DynamoDBDocumentClient.from(client, {
			marshallOptions: { removeUndefinedValues: true },
		})
		documentClients.set(client, documents)
	}
	return documents
}

/**
 * Only a PUT carries a body this API reads: a GET or DELETE passes whatever it sends, even a
 * bodyless one with `Content-Type: application/json` (the stock parser answers it 422, and many
 * clients send that header on every request). A PUT of another media type is a 415.
 */
const onlyForPut = <M extends MiddlewareObj<APIGatewayProxyEventV2>>(middleware: M): M => ({
	...middleware,
	before: (request: Request<APIGatewayProxyEventV2>) =>
		methodOf(request.event) === 'PUT' ? middleware.before?.(request) : undefined,
})

/** DynamoDB items stop at 400 KB (API Gateway accepts 10 MB bodies); room is left for the keys. */
const maxItemBytes = 350_000

/** Item ids a key can hold: DynamoDB refuses a partition key over 2,048 bytes (a 500 otherwise). */
const maxItemIdBytes = 1_024

/** RFC 9110 requires a 405 to list what the resource serves; createError copies no headers. */
const methodNotAllowed = () =>
	Object.assign(createError(405, 'Method Not Allowed'), { headers: { Allow: 'GET, PUT, DELETE' } })

const json = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
	statusCode,
	headers: { 'Content-Type': 'application/json' },
	body: JSON.stringify(body),
})

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * GET, PUT and DELETE /tenants/{tenantId}/items/{itemId}. The caller's tenant comes from the
 * verified token; the path must name the same tenant; the DynamoDB client it gets is signed
 * with that tenant's STS session and refuses any key outside `TENANT#<tenant>#`.
 */
// awsClientsPlugin(): tenant clients learn where each request starts and ends.
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>(awsClientsPlugin())
	// The responses are the tenant's items: Powertools would copy each one into the X-Ray segment's
	// metadata, which whoever may read the account's traces can read, outside tenant isolation.
	.use(captureLambdaHandler(tracer, { captureResponse: false }))
	.use(jwtAuth({ ...authentication, tracer }))
	.use(tenantIsolation({ match: { pathParameter: 'tenantId' } }))
	.use(
		tenantRateLimit({
			limits: {
				requests: Number(process.env.RATE_LIMIT_REQUESTS ?? 100),
				windowSec: Number(process.env.RATE_LIMIT_WINDOW_SEC ?? 60),
			},
			// Counters live next to the items, written with the function's own credentials.
			store: dynamoRateLimitStore({ tableName, client: getClient(DynamoDBClient) }),
			tracer,
		}),
	)
	// After the limiter: a body that does not parse (up to 10 MB) counts against the quota too.
	.use(onlyForPut(quietClientErrors(httpJsonBodyParser())))
	.use(
		awsClients({
			clients: { dynamodb: DynamoDBClient },
			// Within the function's 10 s, after a JWKS fetch (3 s) and a rate-limit count (2 s):
			// STS and DynamoDB get 2 attempts of 1 s each, so one that does not answer is a 503,
			// not a timeout that API Gateway answers 500.
			config: { maxAttempts: 2 },
			httpHandler: { connectionTimeout: 1_000, requestTimeout: 1_000 },
			tenantCredentials: { roleArn: env('TENANT_ROLE_ARN') },
			tableName,
			tracer,
		}),
	)
	// One JSON line per refused request (its reason and tenant, never a token or body); 5xx whole.
	.use(httpErrorHandler({ logger: logHttpError }))
	.handler(async (event, context) => {
		const itemId = event.pathParameters?.itemId ?? ''
		if (Buffer.byteLength(itemId) > maxItemIdBytes)
			throw createError(400, 'The item id is too long', { expose: true })
		// `key` refuses ids that could reach another key (`#`): a clean 400.
		const Key = { pk: context.tenant.key('ITEM', itemId), sk: 'ITEM' }
		const items = documentsOf(context.clients.dynamodb)

		// Read from either payload version: a copy behind a REST API gets payload 1.0 events.
		switch (methodOf(event)) {
			case 'GET': {
				const { Item } = await items.send(new GetCommand({ TableName: tableName, Key }))
				if (Item === undefined) throw createError(404, 'Not Found')
				return json(200, { itemId, data: JSON.parse(Item.data), updatedAt: Item.updatedAt })
			}
			case 'PUT': {
				const data: unknown = event.body
				if (!isJsonObject(data))
					throw createError(422, 'The body must be a JSON object', { expose: true })
				if (!hasOnlyExactNumbers(data))
					throw createError(
						422,
						'Numbers must be finite and, if integers, safe (below 2^53 in magnitude)',
						{
							expose: true,
						},
					)
				// Stored as JSON text: any JSON the client sends fits, where a DynamoDB map refuses
				// numbers beyond 2^53 or Infinity; and kept well under the 400 KB item limit.
				const stored = JSON.stringify(data)
				if (Buffer.byteLength(stored) > maxItemBytes) throw createError(413, 'Payload Too Large')
				const updatedAt = new Date().toISOString()
				// The replaced item tells an update (200) from a creation, which HTTP answers 201.
				const { Attributes: replaced } = await items.send(
					new PutCommand({
						TableName: tableName,
						Item: { ...Key, data: stored, updatedAt, updatedBy: context.auth.subject },
						ReturnValues: 'ALL_OLD',
					}),
				)
				return json(replaced === undefined ? 201 : 200, {
					itemId,
					data: JSON.parse(stored),
					updatedAt,
				})
			}
			case 'DELETE':
				await items.send(new DeleteCommand({ TableName: tableName, Key }))
				return { statusCode: 204 }
			default:
				throw methodNotAllowed()
		}
	})
