import { format } from 'node:util'
import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { expect, it, vi } from 'vitest'
import { signedDelivery, tenantSecrets, webhookIngestPerFile } from './local-webhook-ingest.js'

/**
 * A sender whose deliveries get 401 asks why; the on-call has only the log. Each refusal is one
 * JSON line naming the reason and the sender (a stale timestamp too: a drifting clock is one
 * sender's), never its signature, its secret or the body.
 */

const local = webhookIngestPerFile(tenantSecrets)

const linesOf = async (event: APIGatewayProxyEventV2): Promise<string[]> => {
	const logged = vi.mocked(console.error)
	logged.mockClear()
	const response = (await local.handler(
		event,
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2
	expect(response.statusCode).toBe(401)
	return logged.mock.calls.map((args) => format(...args))
}

const body = JSON.stringify({ id: 'evt-log-1', type: 'invoice.paid', data: { email: 'a@b.c' } })

it.each([
	[
		'a stale timestamp',
		() =>
			signedDelivery('acme', tenantSecrets.acme, body, {
				timestamp: new Date(Date.now() - 600_000),
			}),
		'hmac_timestamp_out_of_tolerance',
	],
	[
		"another tenant's secret",
		() => signedDelivery('acme', tenantSecrets.globex, body),
		'hmac_signature_mismatch',
	],
])('logs a delivery refused for %s as one line naming the sender', async (_name, event, code) => {
	const delivery = event()
	const lines = await linesOf(delivery)
	expect(lines).toHaveLength(1)
	expect(lines[0]).not.toContain('\n')
	expect(JSON.parse(lines[0] ?? '')).toMatchObject({ status: 401, code, tenantId: 'acme' })
	for (const secret of Object.values(tenantSecrets)) expect(lines[0]).not.toContain(secret)
	expect(lines[0]).not.toContain(String(delivery.headers['x-signature']))
	expect(lines[0]).not.toContain('a@b.c')
})
