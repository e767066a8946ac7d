import { PassThrough, Readable } from 'node:stream'
import middy from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import { createTenantContext, type WithTenant } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'

afterEach(() => {
	delete (globalThis as Record<string, unknown>).awslambda
})

/** The Lambda runtime's streaming globals, recording what the client receives. */
const streamingRuntime = () => {
	const received = { body: '', prelude: undefined as unknown }
	;(globalThis as Record<string, unknown>).awslambda = {
		streamifyResponse: (handler: unknown) => handler,
		HttpResponseStream: {
			from: (stream: unknown, prelude: unknown) => {
				received.prelude = JSON.parse(JSON.stringify(prelude))
				return stream
			},
		},
	}
	const sink = new PassThrough()
	sink.on('data', (chunk: Buffer) => {
		received.body += chunk.toString()
	})
	return { sink, received }
}

describe('tenantRateLimit with a streaming handler (middy streamifyResponse)', () => {
	it.each([
		['a bare Node.js stream', () => Readable.from(['streamed ', 'body'])],
		['a bare web stream', () => Readable.toWeb(Readable.from(['streamed ', 'body']))],
	])('streams %s untouched, with our fields in the prelude', async (_name, body) => {
		const { sink, received } = streamingRuntime()
		const handler = middy({ executionMode: executionModeStreamifyResponse })
			.use({
				before: (request) => {
					;(request.context as Context & WithTenant).tenant = createTenantContext('acme')
				},
			})
			.use(
				tenantRateLimit({ limits: { requests: 5, windowSec: 60 }, store: memoryRateLimitStore() }),
			)
			.handler(async () => body())
		await (
			handler as unknown as (event: unknown, stream: unknown, context: unknown) => Promise<void>
		)(httpApiEvent(), sink, lambdaContext())
		expect(received.body).toBe('streamed body')
		expect(received.prelude).toMatchObject({
			statusCode: 200,
			headers: { 'RateLimit-Limit': '5', 'RateLimit-Remaining': '4' },
		})
	})
})
