import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { signRequest } from '@tenantry/hmac-auth'
import { gatewayEvent, lambdaContext } from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import { eventsTable, tenantSecrets, webhookIngestPerFile } from './local-webhook-ingest.js'

/**
 * Pins behaviour that was correct but untested: the handler is deployed behind an HTTP API, and
 * webhooks also reach functions through Function URLs, REST APIs and ALB target groups (without
 * multi-value headers: with them, the stock JSON parser finds no `headers` and answers 415, as
 * the hmac-auth README says). A delivery is verified over the bytes received whether or not the
 * gateway base64-encoded the body, and stored under the signer only.
 */
const local = webhookIngestPerFile(tenantSecrets)

let sequence = 0

describe.each(['http', 'url', 'rest', 'alb'] as const)('a signed delivery on %s', (gateway) => {
	it.each([false, true])('is stored under its signer (body base64-encoded: %s)', async (base64) => {
		const id = `evt-shape-${++sequence}`
		const body = JSON.stringify({ id, type: 'invoice.paid', data: { amount: 1 } })
		const event = gatewayEvent(gateway, {
			method: 'POST',
			path: '/webhooks',
			headers: {
				...signRequest({ secret: tenantSecrets.acme, body, tenantId: 'acme' }),
				'x-tenant-id': 'acme',
				'content-type': 'application/json',
			},
			body,
			isBase64Encoded: base64,
		})
		expect(event.isBase64Encoded).toBe(base64)
		const response = await local.handler(event as never, lambdaContext())
		expect(response).toMatchObject({ statusCode: 202, body: JSON.stringify({ received: id }) })
		const stored = await local.stack.dynamodb.client().send(
			new GetItemCommand({
				TableName: eventsTable,
				Key: { pk: { S: `TENANT#acme#EVENT#${id}` }, sk: { S: 'EVENT' } },
			}),
		)
		expect(stored.Item?.type).toEqual({ S: 'invoice.paid' })
	})

	it('refuses the delivery re-signed by another tenant for this one, storing nothing', async () => {
		const id = `evt-shape-${++sequence}`
		const body = JSON.stringify({ id, type: 't', data: {} })
		const event = gatewayEvent(gateway, {
			method: 'POST',
			path: '/webhooks',
			headers: {
				...signRequest({ secret: tenantSecrets.globex, body, tenantId: 'globex' }),
				'x-tenant-id': 'acme',
				'content-type': 'application/json',
			},
			body,
			isBase64Encoded: true,
		})
		const response = await local.handler(event as never, lambdaContext())
		expect(response).toMatchObject({ statusCode: 401 })
		for (const tenant of ['acme', 'globex']) {
			const stored = await local.stack.dynamodb.client().send(
				new GetItemCommand({
					TableName: eventsTable,
					Key: { pk: { S: `TENANT#${tenant}#EVENT#${id}` }, sk: { S: 'EVENT' } },
				}),
			)
			expect(stored.Item, tenant).toBeUndefined()
		}
	})
})
