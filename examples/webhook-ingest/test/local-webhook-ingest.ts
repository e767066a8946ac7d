import { type LocalStack, startLocalStack } from '@tenantry/testing'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda'
import { vi } from 'vitest'

export const eventsTable = 'webhook-events'

export type Handler = (
	event: APIGatewayProxyEventV2,
	context: unknown,
) => Promise<APIGatewayProxyResultV2>

/**
 * Starts the local stack, gives the handler the tables, secrets (`tenants/<id>` per tenant,
 * plus the app-wide pseudonym key) and environment its SAM template gives it, and imports it:
 * once per test file, as a container cold-starts once.
 */
export const startWebhookIngest = async (
	tenantSecrets: Record<string, string>,
): Promise<{ stack: LocalStack; handler: Handler }> => {
	// @middy/http-error-handler logs every refusal; the tests look at the responses.
	vi.spyOn(console, 'error').mockImplementation(() => undefined)
	const stack = await startLocalStack()
	await stack.dynamodb.createTable(eventsTable)
	await stack.dynamodb.createTable('webhook-replay', { ttlAttribute: 'expiresAt' })
	for (const [tenant, secret] of Object.entries(tenantSecrets))
		stack.secretsManager.putSecret(`tenants/${tenant}`, { shared_secret: secret })
	stack.secretsManager.putSecret('webhook-ingest/pseudonym-key', 'app-wide-pseudonym-key')
	stack.applyEnv()
	Object.assign(process.env, {
		SECRET_PREFIX: 'tenants',
		DYNAMODB_TABLE_NAME: eventsTable,
		REPLAY_TABLE_NAME: 'webhook-replay',
		PSEUDONYM_KEY_SECRET_ID: 'webhook-ingest/pseudonym-key',
	})
	const { handler } = (await import('../handler.js')) as unknown as { handler: Handler }
	// @middy/secrets-manager fetches the pseudonym key as the module loads (prefetch), and
	// nothing awaits it when every request of a file is refused before that middleware: wait
	// until the fetch has reached the endpoint, so that stopping the stack does not cut it off
	// (an unhandled rejection under load).
	await vi.waitFor(
		() => {
			if (stack.secretsManager.calls('webhook-ingest/pseudonym-key') === 0)
				throw new Error('the pseudonym key prefetch has not reached Secrets Manager yet')
		},
		{ timeout: 5_000 },
	)
	return { stack, handler }
}
