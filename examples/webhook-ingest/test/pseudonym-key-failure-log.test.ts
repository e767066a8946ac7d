import { inspect } from 'node:util'
import { type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import {
	type Handler,
	pseudonymKeySecretId,
	signedDelivery,
	startWebhookIngest,
} from './local-webhook-ingest.js'

/**
 * When the app-wide pseudonym key cannot be fetched the delivery is a 503, and
 * @middy/http-error-handler logs the error. The stock middleware's failure holds the SDK's
 * error, whose hidden `$response` leads through its socket to the signed GetSecretValue
 * request: the function role's session token and its signature. `util.inspect` with
 * `showHidden`, and loggers that walk every property, print it where operators read.
 */

const secret = 'acme-shared-secret'
// On Lambda the function's role always has a session token in AWS_SESSION_TOKEN.
const sessionToken = 'function-role-session-token-3f9a'
let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startWebhookIngest({ acme: secret }, (stack) => {
		process.env.AWS_SESSION_TOKEN = sessionToken
		stack.secretsManager.faults.inject({ type: 'server-error' }, { target: pseudonymKeySecretId })
	}))
})
afterAll(async () => {
	delete process.env.AWS_SESSION_TOKEN
	await stack.stop()
})

it("logs the pseudonym key's outage without the function role's signed request", async () => {
	const logged = vi.mocked(console.error)
	logged.mockClear()
	const body = JSON.stringify({ id: 'evt-1', type: 'invoice.paid', data: { email: 'a@b.c' } })
	const response = (await handler(
		signedDelivery('acme', secret, body),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2
	expect(response).toMatchObject({ statusCode: 503, body: 'Service Unavailable' })
	expect(logged).toHaveBeenCalledTimes(1)
	const text = inspect(logged.mock.calls, { showHidden: true, depth: Number.POSITIVE_INFINITY })
	// The operator still learns what failed.
	expect(text).toContain('ServiceUnavailableError')
	expect(text).toContain('InternalServiceError')
	expect(text).not.toContain(sessionToken)
	expect(text).not.toContain('AWS4-HMAC-SHA256 Credential=')
})
