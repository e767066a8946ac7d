import { signRequest } from '@tenantry/hmac-auth'
import { httpApiEvent, type LocalStack, startLocalStack } from '@tenantry/testing'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, vi } from 'vitest'

export const eventsTable = 'webhook-events'

export type Handler = (
	event: APIGatewayProxyEventV2,
	context: unknown,
) => Promise<APIGatewayProxyResultV2>

export const pseudonymKeySecretId = 'webhook-ingest/pseudonym-key'

/** The tenants the tests sign as, with their shared secrets. */
export const tenantSecrets = {
	acme: 'acme-shared-secret',
	globex: 'globex-shared-secret',
	initech: 'initech-shared-secret',
}

/**
 * Starts the local stack, gives the handler the tables, secrets (`tenants/<id>` per tenant,
 * plus the app-wide pseudonym key) and environment its SAM template gives it, and imports it:
 * once per test file, as a container cold-starts once. `beforeColdStart` runs just before the
 * import (to plan faults for the fetches the first deliveries make).
 */
export const startWebhookIngest = async (
	tenantSecrets: Record<string, string>,
	beforeColdStart?: (stack: LocalStack) => void,
): Promise<{ stack: LocalStack; handler: Handler }> => {
	// @middy/http-error-handler logs every refusal; the tests look at the responses.
	vi.spyOn(console, 'error').mockImplementation(() => undefined)
	const stack = await startLocalStack()
	await stack.dynamodb.createTable(eventsTable)
	await stack.dynamodb.createTable('webhook-replay', { ttlAttribute: 'expiresAt' })
	for (const [tenant, secret] of Object.entries(tenantSecrets))
		stack.secretsManager.putSecret(`tenants/${tenant}`, { shared_secret: secret })
	stack.secretsManager.putSecret(pseudonymKeySecretId, 'app-wide-pseudonym-key')
	stack.applyEnv()
	Object.assign(process.env, {
		SECRET_PREFIX: 'tenants',
		DYNAMODB_TABLE_NAME: eventsTable,
		REPLAY_TABLE_NAME: 'webhook-replay',
		PSEUDONYM_KEY_SECRET_ID: pseudonymKeySecretId,
	})
	beforeColdStart?.(stack)
	const { handler } = (await import('../handler.js')) as unknown as { handler: Handler }
	return { stack, handler }
}

/**
 * `startWebhookIngest` for one test file: started before its tests, stopped after them. The
 * stack and handler are read through the returned object once the file's tests run.
 */
export const webhookIngestPerFile = (
	tenantSecrets: Record<string, string>,
	beforeColdStart?: (stack: LocalStack) => void,
): { readonly stack: LocalStack; readonly handler: Handler } => {
	let started: { stack: LocalStack; handler: Handler } | undefined
	beforeAll(async () => {
		started = await startWebhookIngest(tenantSecrets, beforeColdStart)
	})
	afterAll(() => started?.stack.stop())
	const current = () => {
		if (started === undefined) throw new Error('webhook-ingest is started by beforeAll')
		return started
	}
	return {
		get stack() {
			return current().stack
		},
		get handler() {
			return current().handler
		},
	}
}

/**
 * The event API Gateway passes for a delivery signed with `secret` as `tenant`'s sender signs
 * it; `tenantHeader` names another tenant in `x-tenant-id` than the one signing.
 */
export const signedDelivery = (
	tenant: string,
	secret: string,
	body: string,
	options: { timestamp?: Date; tenantHeader?: string } = {},
): APIGatewayProxyEventV2 => {
	const signed = signRequest({
		secret,
		body,
		tenantId: tenant,
		...(options.timestamp ? { timestamp: options.timestamp } : {}),
	})
	return httpApiEvent({
		method: 'POST',
		path: '/webhooks',
		headers: {
			...signed,
			'x-tenant-id': options.tenantHeader ?? tenant,
			'content-type': 'application/json',
		},
		body,
	})
}
