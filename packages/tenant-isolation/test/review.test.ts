import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { tenantIsolation } from '../src/index.js'
import { asLambda, pipeline, testAuth } from './harness.js'

/**
 * Review findings: with `match.bodyField`, a body that was still a string after
 * `@middy/http-json-body-parser` was taken as proof that the parser is missing and answered
 * with a 500 ("use @middy/http-json-body-parser before tenantIsolation()"). But the parser
 * leaves a string there in two ordinary cases the client controls, with the parser in place.
 * Each test failed on the reviewed code and now guards the fix.
 */

describe('review: bodyField after the JSON body parser', () => {
	it('a JSON body that is a string ("globex") is not a 500', async () => {
		const { handler, errors } = pipeline(
			{ match: { bodyField: 'tenantId' } },
			{ auth: 'acme', parseBody: true },
		)
		const response = await handler(
			httpApiEvent({
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: '"globex"',
			}),
			lambdaContext(),
		)
		// A string names no `tenantId` (like an array body, which is allowed): a 2xx, or at
		// worst a 4xx. Observed: 500, and the logged reason blames the middleware order.
		expect(response.statusCode).toBeLessThan(500)
		expect(errors.map((error) => (error as Error).message).join()).not.toMatch(
			/before tenantIsolation/,
		)
	})

	it('with the parser set to disableContentTypeError (as examples/tenant-api), a text/plain body is not a 500', async () => {
		const handler = middy(async () => ({ statusCode: 200, body: 'ok' }))
			.use(httpErrorHandler({ logger: false }))
			.use(testAuth(() => 'acme'))
			.use(httpJsonBodyParser({ disableContentTypeError: true }))
			.use(tenantIsolation({ match: { bodyField: 'tenantId' }, onViolation: () => undefined }))
		const response = await asLambda(handler)(
			httpApiEvent({
				method: 'POST',
				headers: { 'content-type': 'text/plain' },
				body: '{"tenantId":"globex"}',
			}),
			lambdaContext() as Context,
		)
		// The client chose the content type; a 415 (or a 403) is the clean answer.
		expect(response.statusCode).toBeGreaterThanOrEqual(400)
		expect(response.statusCode).toBeLessThan(500)
	})
})
