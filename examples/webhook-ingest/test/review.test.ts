import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { signedDelivery, webhookIngestPerFile } from './local-webhook-ingest.js'

/**
 * Review finding for the webhook-ingest example: hmacAuth accepts bodies up to 1 MiB
 * (`maxBodyBytes` default), the handler stores `data` as one string attribute, and DynamoDB
 * items stop at 400 KB. A correctly signed delivery in between was answered 500, which
 * webhook senders treat as "retry", so it came back again and again. The test failed on the
 * reviewed code and now guards the fix.
 */

const secret = 'acme-shared-secret'
const local = webhookIngestPerFile({ acme: secret })

const deliver = async (body: string): Promise<APIGatewayProxyStructuredResultV2> =>
	(await local.handler(
		signedDelivery('acme', secret, body),
		lambdaContext(),
	)) as APIGatewayProxyStructuredResultV2

describe('review: webhook-ingest', () => {
	it('a signed 500 KB delivery (under maxBodyBytes, over the DynamoDB item limit) is a 413, not a 500', async () => {
		const body = JSON.stringify({
			id: 'evt-large',
			type: 'invoice.paid',
			data: { lines: 'x'.repeat(500_000) },
		})
		expect(Buffer.byteLength(body)).toBeLessThan(1_048_576)
		const response = await deliver(body)
		expect(response.statusCode).toBe(413)
	})

	it('a signed delivery under maxBodyBytes that grows past the item limit once written out is a 413, not a 500', async () => {
		// `1e20` is 4 bytes received and 21 bytes written back out.
		const numbers = Array(60_000).fill('1e20').join(',')
		const body = `{"id":"evt-expand","type":"invoice.paid","data":{"n":[${numbers}]}}`
		expect(Buffer.byteLength(body)).toBeLessThan(350_000)
		expect((await deliver(body)).statusCode).toBe(413)
	})

	it('a type holding a lone surrogate is a 422 that stores nothing; a paired one is text', async () => {
		local.stack.dynamodb.clearRequests()
		for (const type of ['invoice.\\ud800paid', 'invoice.paid\\udfff']) {
			const body = `{"id":"evt-surrogate","type":"${type}","data":{}}`
			expect((await deliver(body)).statusCode).toBe(422)
		}
		expect(local.stack.dynamodb.requests.map((request) => request.operation)).not.toContain(
			'PutItem',
		)
		const paired = JSON.stringify({ id: 'evt-emoji', type: 'invoice.paid 🧾', data: {} })
		expect((await deliver(paired)).statusCode).toBe(202)
	})
})
