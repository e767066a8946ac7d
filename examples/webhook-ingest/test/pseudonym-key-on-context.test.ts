import { inspect } from 'node:util'
import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { expect, it } from 'vitest'
import { signedDelivery, webhookIngestPerFile } from './local-webhook-ingest.js'

/**
 * The app-wide pseudonym key reaches the handler on the Lambda context. Handlers and loggers
 * print that context (`console.log(context)`, an error logger's context field): the key, which
 * links every pseudonym to its e-mail, must not be in what they print.
 */

const secret = 'acme-shared-secret'
const local = webhookIngestPerFile({ acme: secret })

it('keeps the pseudonym key out of a printed context while the handler still uses it', async () => {
	const context = lambdaContext()
	const body = JSON.stringify({
		id: 'evt-key-on-context',
		type: 'customer.created',
		data: { email: 'jane.doe@customer.example' },
	})
	const response = (await local.handler(
		signedDelivery('acme', secret, body),
		context,
	)) as APIGatewayProxyStructuredResultV2
	expect(response.statusCode).toBe(202)
	expect((context as unknown as { pseudonymKey?: unknown }).pseudonymKey).toBe(
		'app-wide-pseudonym-key',
	)
	expect(Object.keys(context)).not.toContain('pseudonymKey')
	expect(inspect(context, { depth: Number.POSITIVE_INFINITY })).not.toContain(
		'app-wide-pseudonym-key',
	)
	expect(JSON.stringify(context)).not.toContain('app-wide-pseudonym-key')
})
