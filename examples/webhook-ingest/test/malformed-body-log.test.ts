import { format } from 'node:util'
import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { expect, it, vi } from 'vitest'
import { signedDelivery, webhookIngestPerFile } from './local-webhook-ingest.js'

/**
 * The handler stores a keyed hash of the sender's e-mail, never the address. A signed delivery
 * whose body is not JSON is a 422 from the stock body parser, whose error keeps the whole body
 * (and JSON.parse's message, which quotes it) as its `cause`; @middy/http-error-handler logs
 * that error with console.error, so the address lands in the function's log group.
 */

const secret = 'acme-shared-secret'
const local = webhookIngestPerFile({ acme: secret })

const email = 'jane.doe@customer.example'

it('logs a signed delivery that is not JSON as a 422 without its body', async () => {
	const logged = vi.mocked(console.error)
	logged.mockClear()
	// A trailing comma: an ordinary sender bug, with the e-mail in the body.
	const body = `{"id":"evt-1","type":"customer.created","data":{"email":"${email}",}}`
	const response = (await local.handler(
		signedDelivery('acme', secret, body),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2
	// What the sender sees is unchanged.
	expect(response.statusCode).toBe(422)
	expect(response.body).toBe('Invalid or malformed JSON was provided')
	expect(logged).toHaveBeenCalledTimes(1)
	// What console.error writes to the log group, as Lambda's runtime formats it.
	const line = format(...(logged.mock.calls[0] ?? []))
	// The operator still learns what failed.
	expect(line).toContain('UnprocessableEntityError')
	expect(line).toContain('@middy/http-json-body-parser')
	expect(line).not.toContain(email)
})
