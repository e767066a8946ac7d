import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import { albEvent, lambdaContext } from '@tenantry/testing'
import { albMultiValueHeaders } from '@tenantry/util'
import type { ALBEvent, ALBResult } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { hmacAuth, type ReplayStore, signRequest } from '../src/index.js'

/**
 * An ALB target group with multi-value headers sends `multiValueHeaders` and no `headers`, and
 * `@middy/http-json-body-parser` reads the content type from `headers` alone: the README's chain
 * (hmacAuth, then the parser) answered every delivery 415 after hmacAuth had accepted it and the
 * replay store recorded it, so the sender's retry was refused as a replay. Nothing in the READMEs
 * said so; they now say what to give the parser there.
 */

const secret = 'acme-secret'
const body = JSON.stringify({ id: 'evt-1' })

/** A replay store of one container, new for each handler. */
const memoryReplayStore = (): ReplayStore => {
	const claimed = new Set<string>()
	return {
		claim: async ({ tenantId, id }) => {
			const key = `${tenantId}:${id}`
			if (claimed.has(key)) return false
			claimed.add(key)
			return true
		},
	}
}

const handlerWith = (parser: ReturnType<typeof httpJsonBodyParser>) =>
	middy<ALBEvent, ALBResult>()
		.use(albMultiValueHeaders())
		.use(httpErrorHandler({ logger: false }))
		.use(hmacAuth({ secrets: async () => secret, replayStore: memoryReplayStore() }))
		.use(parser)
		.handler(async (event) => ({ statusCode: 202, body: JSON.stringify(event.body) }))

const delivery = () =>
	albEvent({
		method: 'POST',
		path: '/webhooks',
		headers: {
			...signRequest({ secret, body, tenantId: 'acme' }),
			'content-type': 'application/json',
		},
		body,
		multiValue: true,
	})

describe('hmacAuth and the JSON body parser behind a multi-value ALB target group', () => {
	it('the stock parser refuses a verified delivery, whose retry is then a replay', async () => {
		const handler = handlerWith(httpJsonBodyParser())
		const event = delivery()
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 415 })
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 401 })
	})

	it('the parser without its content type check, as the READMEs say, parses it', async () => {
		const handler = handlerWith(httpJsonBodyParser({ disableContentTypeCheck: true }))
		await expect(handler(delivery(), lambdaContext())).resolves.toMatchObject({
			statusCode: 202,
			body,
		})
	})
})
