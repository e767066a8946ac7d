import { createHmac } from 'node:crypto'
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb'
import middy, { type MiddlewareObj } from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import secretsManager, { secret } from '@middy/secrets-manager'
import { createError } from '@middy/util'
import { awsClients, awsClientsPlugin, getClient } from '@tenantry/aws-clients'
import { dynamoReplayStore, hmacAuth } from '@tenantry/hmac-auth'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import {
	failureName,
	hasOnlyExactNumbers,
	isConditionalCheckFailed,
	logHttpError,
	quietClientErrors,
	serviceUnavailable,
} from '@tenantry/util'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda'

/** Required configuration, read at cold start so a missing variable fails the first invocation loudly. */
const env = (name: string): string => {
	const value = process.env[name]
	if (!value) throw new Error(`environment variable ${name} is not set`)
	return value
}

const eventsTable = env('DYNAMODB_TABLE_NAME')

interface Webhook {
	id: string
	type: string
	tenantId?: string
	data: Record<string, unknown> & { email?: string }
}

/**
 * What the stored item may hold: DynamoDB refuses items over 400 KB, and written back out the
 * parsed body can be far larger than the one received (`1e20` becomes 21 digits).
 */
const maxStoredBytes = 350_000

/**
 * A UTF-16 surrogate without its pair: valid in a JSON string, not text DynamoDB stores as given
 * (dynalite keeps it, the service's answer is unverified: a 500 would have the sender retry it).
 */
const loneSurrogate = /\p{Surrogate}/u

const isWebhook = (body: unknown): body is Webhook => {
	if (typeof body !== 'object' || body === null) return false
	const { id, type, data } = body as Record<string, unknown>
	return (
		typeof id === 'string' &&
		/^[\w-]{1,128}$/.test(id) &&
		typeof type === 'string' &&
		type.length <= 128 &&
		!loneSurrogate.test(type) &&
		typeof data === 'object' &&
		data !== null &&
		!Array.isArray(data)
	)
}

/**
 * The failure of a stock middleware as a 503's cause: the names of the errors only. The one
 * @middy/util raises lists the SDK's errors, whose hidden `$response` leads through its socket
 * to the signed request (the function role's session token), and which loggers printing hidden
 * properties print.
 */
const namedFailure = (error: unknown): Error => {
	const reasons: unknown = (error as { cause?: { data?: unknown } } | null)?.cause?.data
	const names = Array.isArray(reasons) ? reasons.map(failureName) : [failureName(error)]
	return new Error(`dependency failed: ${names.join(', ')}`)
}

/**
 * A stock middleware whose failures mean a dependency is down, answered as such: 503 with
 * `Retry-After`, which webhook senders retry, where its plain `Error` would become a 500.
 */
const unavailableWhenItFails = <
	TEvent,
	TResult,
	TContext extends Context,
	TInternal extends Record<string, unknown>,
>(
	middleware: MiddlewareObj<TEvent, TResult, Error, TContext, TInternal>,
): MiddlewareObj<TEvent, TResult, Error, TContext, TInternal> => ({
	...middleware,
	before: async (request) => {
		try {
			return await middleware.before?.(request)
		} catch (error) {
			throw serviceUnavailable(5, namedFailure(error))
		}
	},
})

/**
 * POST /webhooks: each tenant signs its deliveries with its own secret (Secrets Manager,
 * `${SECRET_PREFIX}/<tenant>`). A verified event is stored once under the tenant's key, with
 * the sender's e-mail replaced by a keyed hash: the key is one app-wide secret, the job of
 * the stock `@middy/secrets-manager`; per-tenant secrets are the job of `hmacAuth`.
 */
// awsClientsPlugin(): tenant clients learn where each request starts and ends.
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>(awsClientsPlugin())
	.use(
		hmacAuth({
			secrets: { prefix: env('SECRET_PREFIX') },
			// Events are stored as one DynamoDB item (at most 400 KB): refuse larger ones up front.
			maxBodyBytes: 350_000,
			// Any container that saw this exact delivery makes the others refuse it.
			replayStore: dynamoReplayStore({
				tableName: env('REPLAY_TABLE_NAME'),
				// Well inside the function's 10 s: a claim and its withdrawal while DynamoDB does not
				// answer take 2 attempts of 1 s each, then 503 (3 attempts of 3 s each took 18 s).
				client: getClient(DynamoDBClient, {
					maxAttempts: 2,
					requestHandler: {
						connectionTimeout: 1_000,
						requestTimeout: 1_000,
						throwOnRequestTimeout: true,
					},
				}),
			}),
			// A delivery answered 5xx may be re-sent unchanged: the handler is idempotent (one item
			// per event id, written only if absent), so the retry may run it again.
			releaseReplayOnServerError: true,
		}),
	)
	.use(quietClientErrors(httpJsonBodyParser()))
	// A payload that names a tenant must name the signer.
	.use(tenantIsolation({ match: { bodyField: 'tenantId' } }))
	.use(
		unavailableWhenItFails(
			secretsManager({
				fetchData: { pseudonymKey: secret<string>(env('PSEUDONYM_KEY_SECRET_ID')) },
				// Its cache is per process and keyed by this name: another secretsManager() in the
				// same bundle, left on the default key, would be handed these values.
				cacheKey: 'webhook-ingest/pseudonym-key',
				setToContext: true,
				// Fetched by the first delivery that needs it, not as the module loads: a cold-start
				// fetch that fails before any delivery awaits it is an unhandled rejection, which
				// ends the Lambda environment. This way every failure has a delivery to answer 503.
				disablePrefetch: true,
				// Once per container. With an expiry the middleware refreshes the key from a timer,
				// and a refresh failing while no delivery awaits it is an unhandled rejection, which
				// ends the Lambda environment. A fetch that failed is made again by the next delivery.
				cacheExpiry: -1,
				// A Secrets Manager that hangs is down as well: give up in time to answer 503 (2
				// attempts of 1 s, as the other clients, within the function's 10 s).
				awsClientOptions: {
					maxAttempts: 2,
					requestHandler: {
						connectionTimeout: 1_000,
						requestTimeout: 1_000,
						throwOnRequestTimeout: true,
					},
				},
			}),
		),
	)
	// Handlers and loggers print the Lambda context (`console.log(context)`): the key stays usable
	// on it, but out of what it prints.
	.use({
		// Typed: an untyped `request` is `any`, and middy would make the handler's whole `context` so.
		before: (request: { context: object }) => {
			Object.defineProperty(request.context, 'pseudonymKey', { enumerable: false })
		},
	})
	.use(
		awsClients({
			clients: { dynamodb: DynamoDBClient },
			// The event's write, then the claim's release, within the function's 10 s as well.
			config: { maxAttempts: 2 },
			httpHandler: { connectionTimeout: 1_000, requestTimeout: 1_000 },
			tableName: eventsTable,
		}),
	)
	// One JSON line per refused request (its reason and tenant, never a token or body); 5xx whole.
	.use(httpErrorHandler({ logger: logHttpError }))
	.handler(async (event, context) => {
		const webhook: unknown = event.body
		if (!isWebhook(webhook)) throw createError(422, 'Expected { id, type, data }', { expose: true })
		const { email, ...data } = webhook.data
		// Keyed by tenant as well: one customer of two tenants gets two pseudonyms, so the tenants'
		// events cannot be joined on it. A tenant id holds no NUL, so the two parts cannot run into
		// each other.
		const sender =
			typeof email === 'string'
				? createHmac('sha256', context.pseudonymKey)
						.update(`${context.tenant.id}\0${email.toLowerCase()}`)
						.digest('hex')
				: undefined
		const stored = JSON.stringify(data)
		if (Buffer.byteLength(stored) + Buffer.byteLength(webhook.type) > maxStoredBytes)
			throw createError(413, 'Payload Too Large')
		// A refusal, not a silent change: the sender's dashboard shows it, where a rounded id would
		// only surface when someone looks the event up.
		if (!hasOnlyExactNumbers(data))
			throw createError(
				422,
				'Numbers must be finite and, if integers, safe (below 2^53 in magnitude)',
				{
					expose: true,
				},
			)
		try {
			await context.clients.dynamodb.send(
				new PutItemCommand({
					TableName: eventsTable,
					Item: {
						pk: { S: context.tenant.key('EVENT', webhook.id) },
						sk: { S: 'EVENT' },
						type: { S: webhook.type },
						receivedAt: { S: new Date().toISOString() },
						data: { S: stored },
						...(sender ? { sender: { S: sender } } : {}),
					},
					// Senders retry: the same event id is stored once, whatever its signature.
					ConditionExpression: 'attribute_not_exists(pk)',
				}),
			)
		} catch (error) {
			if (!isConditionalCheckFailed(error)) throw error
		}
		return {
			statusCode: 202,
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ received: webhook.id }),
		}
	})
