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

	it('a signed delivery over 350,000 bytes is a 413 even when what it would store is small', async () => {
		// Fields the handler drops (here one it does not read) still cost the parse.
		const body = JSON.stringify({
			id: 'evt-padded',
			type: 'invoice.paid',
			data: {},
			padding: 'x'.repeat(350_000),
		})
		expect((await deliver(body)).statusCode).toBe(413)
	})

	it('a signed delivery under maxBodyBytes that grows past the item limit once written out is a 413, not a 500', async () => {
		// `1e20` is 4 bytes received and 21 bytes written back out.
		const numbers = Array(60_000).fill('1e20').join(',')
		const body = `{"id":"evt-expand","type":"invoice.paid","data":{"n":[${numbers}]}}`
		expect(Buffer.byteLength(body)).toBeLessThan(350_000)
		expect((await deliver(body)).statusCode).toBe(413)
	})

	it('stores an event whose data and type are 350,000 bytes written out, and answers one byte more 413', async () => {
		// Ten thousand `1e15` are 4 bytes each received and 16 written back out: the body stays
		// under maxBodyBytes while what is stored reaches the limit.
		const numbers = Array(10_000).fill('1e15').join(',')
		const sent = (id: string, filler: string) =>
			`{"id":"${id}","type":"x","data":{"n":[${numbers}],"p":"${filler}"}}`
		const writtenOut = (filler: string) =>
			Buffer.byteLength(JSON.stringify({ n: Array(10_000).fill(1e15), p: filler })) + 1
		const atLimit = 'y'.repeat(350_000 - writtenOut(''))
		expect(writtenOut(atLimit)).toBe(350_000)
		expect((await deliver(sent('evt-at-limit', atLimit))).statusCode).toBe(202)
		expect((await deliver(sent('evt-over-limit', `${atLimit}y`))).statusCode).toBe(413)
	})

	it('counts what is stored in UTF-8 bytes: 60,000 three-byte characters past 170,000 ASCII bytes are a 413', async () => {
		const numbers = Array(10_000).fill('1e15').join(',')
		const body = `{"id":"evt-wide","type":"x","data":{"n":[${numbers}],"p":"${'€'.repeat(60_000)}"}}`
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
