import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import httpErrorHandler from '@middy/http-error-handler'
import { awsClients, awsClientsPlugin, type WithClients } from '@tenantry/aws-clients'
import { jwtAuth } from '@tenantry/jwt-auth'
import { memoryRateLimitStore, tenantRateLimit } from '@tenantry/rate-limit'
import { tenantIsolation, type WithTenant } from '@tenantry/tenant-isolation'
import {
	functionUrlEvent,
	installStreamingRuntime,
	invokeStreaming,
	type LocalStack,
	lambdaContext,
	startLocalStack,
} from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The README's chain (jwtAuth → tenantIsolation → tenantRateLimit → awsClients →
 * @middy/http-error-handler) behind a function URL in RESPONSE_STREAM mode (middy's
 * executionModeStreamifyResponse): what the client receives, decoded from the prelude and body
 * the runtime's HttpResponseStream writes.
 */
let stack: LocalStack
let restoreRuntime: () => void
const tableName = 'streamed-items'

beforeAll(async () => {
	stack = await startLocalStack()
	await stack.dynamodb.createTable(tableName)
	stack.applyEnv()
	restoreRuntime = installStreamingRuntime()
})
afterAll(async () => {
	restoreRuntime()
	await stack.stop()
})

type HandlerContext = Context & WithTenant & WithClients<{ dynamodb: typeof DynamoDBClient }>

/** What the handler streams: an answer read with the tenant's client while piped, a failure. */
type Answer = 'events' | 'bare stream' | 'throws' | 'fails mid-stream'

/** A handler built as a container cold-starts: its JWKS and rate-limit counts are its own. */
const streamingApi = (answer: Answer) =>
	middy({ ...awsClientsPlugin(), executionMode: executionModeStreamifyResponse })
		.use(jwtAuth({ issuers: { issuer: stack.identityProvider.issuer, audience: 'api' } }))
		// A function URL has no routes, so no path parameters: the request names its tenant in a
		// header here.
		.use(tenantIsolation({ match: { header: 'x-tenant-id', required: true } }))
		.use(
			tenantRateLimit({ limits: { requests: 2, windowSec: 3600 }, store: memoryRateLimitStore() }),
		)
		.use(
			awsClients({
				clients: { dynamodb: DynamoDBClient },
				tenantCredentials: { roleArn: 'arn:aws:iam::000000000000:role/tenant-data' },
			}),
		)
		.use(httpErrorHandler({ logger: false }))
		.handler(async (_event: unknown, context: HandlerContext) => {
			const { dynamodb } = context.clients
			const Key = { pk: { S: context.tenant.key('ITEM', '1') }, sk: { S: 'ITEM' } }
			if (answer === 'throws') throw new Error('upstream model refused: internal detail')
			if (answer === 'bare stream') return Readable.from(['a', 'b'])
			return {
				statusCode: 200,
				headers: { 'Content-Type': 'text/event-stream' },
				body: Readable.from(
					(async function* () {
						yield 'data: start\n\n'
						await sleep(1)
						if (answer === 'fails mid-stream') throw new Error('upstream went away')
						const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key }))
						yield `data: ${Item === undefined ? 'none' : 'item'}\n\n`
					})(),
				),
			}
		})

const request = async (
	handler: unknown,
	{
		tenant = 'acme',
		namedTenant = tenant,
		token,
	}: { tenant?: string; namedTenant?: string; token?: string } = {},
) =>
	invokeStreaming(
		handler,
		functionUrlEvent({
			path: '/items',
			headers: {
				'x-tenant-id': namedTenant,
				authorization: `Bearer ${token ?? (await stack.identityProvider.sign({ aud: 'api', sub: 'user-1', tenant_id: tenant }))}`,
			},
		}),
		lambdaContext(),
	)

describe('the README chain with a streaming handler', () => {
	it('streams the body, read with the tenant client while piped, under the RateLimit fields', async () => {
		expect(await request(streamingApi('events'))).toEqual({
			statusCode: 200,
			headers: expect.objectContaining({
				'Content-Type': 'text/event-stream',
				'RateLimit-Limit': '2',
				'RateLimit-Remaining': '1',
			}),
			cookies: [],
			body: 'data: start\n\ndata: none\n\n',
			error: undefined,
			started: true,
		})
	})

	it('streams a bare stream as a 200 with the RateLimit fields', async () => {
		expect(await request(streamingApi('bare stream'))).toMatchObject({
			statusCode: 200,
			headers: { 'RateLimit-Remaining': '1' },
			body: 'ab',
		})
	})

	it('answers refusals with their status and headers in the prelude', async () => {
		const api = streamingApi('events')
		expect(await request(api, { token: 'not.a.token' })).toMatchObject({
			statusCode: 401,
			headers: { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"' },
			body: 'Unauthorized',
		})
		expect(await request(api, { namedTenant: 'globex' })).toMatchObject({
			statusCode: 403,
			body: 'Forbidden',
		})
		await request(api)
		await request(api)
		const limited = await request(api)
		expect(limited).toMatchObject({
			statusCode: 429,
			headers: { 'RateLimit-Remaining': '0' },
			body: 'Too Many Requests',
		})
		expect(limited.headers['Retry-After']).toMatch(/^\d+$/)
	})

	it('answers 503 with Retry-After while the identity provider is down at cold start', async () => {
		stack.identityProvider.faults.inject({ type: 'down' })
		try {
			expect(await request(streamingApi('events'))).toMatchObject({
				statusCode: 503,
				headers: { 'Retry-After': expect.stringMatching(/^\d+$/) },
				body: 'Service Unavailable',
				error: undefined,
			})
		} finally {
			stack.identityProvider.faults.clear()
		}
	})

	it('answers a handler that throws with a bare 500: no message, no stack', async () => {
		expect(await request(streamingApi('throws'))).toMatchObject({
			statusCode: 500,
			body: '',
			error: undefined,
		})
	})

	// The status and headers left with the first bytes: the client sees a cut-off 200, and the
	// invocation fails with the error (in its logs, not in the body).
	it('cuts off a body that fails mid-stream, after the 200 went out', async () => {
		const cut = await request(streamingApi('fails mid-stream'))
		expect(cut).toMatchObject({ statusCode: 200, body: 'data: start\n\n' })
		expect(cut.error).toEqual(new Error('upstream went away'))
	})
})
