import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { expect, it } from 'vitest'
import { templateOf } from '../../../scripts/examples.js'
import { signedDelivery, webhookIngestPerFile } from './local-webhook-ingest.js'

/**
 * The function's Timeout in template.yaml (10 s) against the replay store's client: the
 * handler gives dynamoReplayStore `getClient(DynamoDBClient)`, 3 attempts of up to 3 s each
 * (awsClients' shared handler). While DynamoDB does not answer, the claim fails after about
 * 9 s and its withdrawal (releaseReplayOnServerError) takes as long again: the 503 comes after
 * about 18 s, long after Lambda has ended the invocation, which API Gateway answers 500.
 * hmac-auth's README: "Timeouts well inside the function's: a DynamoDB that does not answer is
 * a 503, not a hang" (2 attempts, 1 s).
 */

const secret = 'acme-shared-secret'
const local = webhookIngestPerFile({ acme: secret })

const timeoutSec = Number(templateOf('webhook-ingest').Globals?.Function?.Timeout)

const deliver = (id: string, context: unknown) =>
	local.handler(
		signedDelivery('acme', secret, JSON.stringify({ id, type: 'invoice.paid', data: {} })),
		context,
	) as Promise<APIGatewayProxyStructuredResultV2>

it('answers 503 with Retry-After within the template Timeout while DynamoDB does not answer', async () => {
	expect(timeoutSec).toBeGreaterThan(0)
	// Warm: the tenant secret and the pseudonym key are cached, as in a container that served.
	expect((await deliver('evt-warm', lambdaContext())).statusCode).toBe(202)
	// Left in place: stopping the stack cuts off the requests it holds, where clearing it would
	// let them reach a database that is closing.
	local.stack.dynamodb.faults.inject({ type: 'delay', ms: 60_000 })
	// The invocation has the time the template gives the function, as in Lambda.
	const deadline = Date.now() + timeoutSec * 1000
	const response = await deliver(
		'evt-hang',
		lambdaContext({ getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) }),
	)
	expect(response).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
	// Answered before Lambda would have ended the invocation.
	expect(Date.now()).toBeLessThan(deadline)
}, 40_000)
