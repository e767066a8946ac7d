import { type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
	type Handler,
	pseudonymKeySecretId,
	signedDelivery,
	startWebhookIngest,
} from './local-webhook-ingest.js'

let stack: LocalStack
let handler: Handler
const unhandled: unknown[] = []
const record = (reason: unknown) => unhandled.push(reason)

beforeAll(async () => {
	process.on('unhandledRejection', record)
	;({ stack, handler } = await startWebhookIngest({ acme: 'acme-secret' }, (stack) =>
		// Each attempt fails after half a second (within the client's 1 s requestTimeout): the
		// fetch stays in flight for the time the three deliveries need to reach it. Answered at
		// once, a fetch failed both its attempts in a few milliseconds when the SDK's retry jitter
		// came out small, and a delivery whose replay claim was answered later than that (a
		// loaded CI machine) found no fetch to join and started a second one (4 calls, not 2).
		stack.secretsManager.faults.inject(
			{ type: 'delay', ms: 500, answer: { type: 'server-error' } },
			{ target: pseudonymKeySecretId },
		),
	))
})
afterAll(async () => {
	await stack.stop()
	process.off('unhandledRejection', record)
})

const deliver = async (id: string, offsetMs = 0) =>
	(await handler(
		signedDelivery('acme', 'acme-secret', JSON.stringify({ id, type: 't', data: {} }), {
			timestamp: new Date(Date.now() + offsetMs),
		}),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2

it('gives concurrent first deliveries (Lambda Managed Instances) one shared key fetch: all 503 while it fails, and no unhandled rejection', async () => {
	const first = await Promise.all(['c1', 'c2', 'c3'].map((id) => deliver(id)))
	expect(first.map((response) => response.statusCode)).toEqual([503, 503, 503])
	// One fetch, tried twice by the SDK (the client's maxAttempts).
	expect(stack.secretsManager.calls(pseudonymKeySecretId)).toBe(2)
	stack.secretsManager.resetCalls()
	stack.secretsManager.faults.clear()
	expect((await deliver('c4', 1_000)).statusCode).toBe(202)
	expect((await deliver('c5', 2_000)).statusCode).toBe(202)
	expect(stack.secretsManager.calls(pseudonymKeySecretId)).toBe(1)
	expect(unhandled).toEqual([])
})
