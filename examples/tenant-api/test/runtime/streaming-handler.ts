import { Readable } from 'node:stream'
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import httpErrorHandler from '@middy/http-error-handler'
import { awsClients, awsClientsPlugin, type WithClients } from '@tenantry/aws-clients'
import { jwtAuth } from '@tenantry/jwt-auth'
import { memoryRateLimitStore, tenantRateLimit } from '@tenantry/rate-limit'
import { tenantIsolation, type WithTenant } from '@tenantry/tenant-isolation'
import type { Context } from 'aws-lambda'

/**
 * The README chain (jwtAuth → tenantIsolation → tenantRateLimit → awsClients →
 * http-error-handler) behind a function URL in RESPONSE_STREAM mode, for `pnpm test:runtime`:
 * run in-process under `installStreamingRuntime()` and, bundled, under the real runtime, whose
 * answers must agree. The request's `x-answer` header picks what the handler does.
 */
type HandlerContext = Context & WithTenant & WithClients<{ dynamodb: typeof DynamoDBClient }>

const tableName = process.env.DYNAMODB_TABLE_NAME ?? ''

export const handler = middy({
	...awsClientsPlugin(),
	executionMode: executionModeStreamifyResponse,
})
	.use(jwtAuth({ issuers: { issuer: process.env.ISSUER ?? '', audience: 'api' } }))
	.use(tenantIsolation({ match: { header: 'x-tenant-id', required: true } }))
	.use(
		tenantRateLimit({ limits: { requests: 10, windowSec: 3600 }, store: memoryRateLimitStore() }),
	)
	.use(
		awsClients({
			clients: { dynamodb: DynamoDBClient },
			tenantCredentials: { roleArn: process.env.TENANT_ROLE_ARN ?? '' },
		}),
	)
	.use(httpErrorHandler({ logger: false }))
	.handler(
		async (
			event: { headers?: Record<string, string | undefined> | null },
			context: HandlerContext,
		) => {
			const answer = event.headers?.['x-answer']
			if (answer === 'throws') throw new Error('upstream refused: internal detail')
			if (answer === 'bare stream') return Readable.from(['a', 'b'])
			if (answer === 'fails at once') {
				// The aws-clients README's way to fail a streamed invocation: a body that fails unread.
				const failing = new Readable({
					read: () => failing.destroy(new Error('failed before any byte')),
				})
				return failing
			}
			const { dynamodb } = context.clients
			const Key = { pk: { S: context.tenant.key('ITEM', '1') }, sk: { S: 'ITEM' } }
			return {
				statusCode: 200,
				headers: { 'Content-Type': 'text/event-stream' },
				cookies: ['session=1; Secure'],
				body: Readable.from(
					(async function* () {
						yield 'data: start\n\n'
						if (answer === 'fails mid-stream') throw new Error('upstream went away')
						const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key }))
						yield `data: ${Item === undefined ? 'none' : 'item'}\n\n`
					})(),
				),
			}
		},
	)
