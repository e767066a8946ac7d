import { Readable } from 'node:stream'
import middy from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import httpErrorHandler from '@middy/http-error-handler'
import { installStreamingRuntime, invokeStreaming, lambdaContext } from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HmacAuth, hmacAuth } from '../src/index.js'
import { fakeClock, freshPrefix, secretsManagerPerFile, signedEvent } from './helpers.js'

/**
 * Response streaming (a function URL in RESPONSE_STREAM mode, middy's
 * executionModeStreamifyResponse) changes only how the answer leaves: hmacAuth still reads the
 * raw request body from the event, and its 401 and 503 reach the client as the prelude's status
 * and headers, with @middy/http-error-handler in the chain.
 */
const local = secretsManagerPerFile()
let restoreRuntime: () => void
beforeAll(() => {
	restoreRuntime = installStreamingRuntime()
})
afterAll(() => restoreRuntime())

const body = JSON.stringify({ prompt: 'hello' })

const streamingHandler = () => {
	const prefix = freshPrefix()
	local.secretsManager.putSecret(`${prefix}/acme`, { shared_secret: 'acme-secret' })
	const clock = fakeClock()
	const handler = middy<{ body?: string }>({ executionMode: executionModeStreamifyResponse })
		.use(httpErrorHandler({ logger: false }))
		.use(hmacAuth({ secrets: { prefix, client: local.client }, now: clock.now }))
		.handler(async (event: { body?: string }, context: Context & { auth: HmacAuth }) => ({
			statusCode: 200,
			headers: { 'Content-Type': 'text/plain' },
			body: Readable.from([`${context.auth.tenantId}: `, event.body ?? '']),
		}))
	const invoke = (secret: string) =>
		invokeStreaming(
			handler,
			signedEvent({ secret, body, tenantId: 'acme', timestamp: clock.date() }),
			lambdaContext(),
		)
	return { prefix, invoke }
}

describe('hmacAuth in middy streaming mode', () => {
	it('verifies the raw request body and streams the answer', async () => {
		const { invoke } = streamingHandler()
		expect(await invoke('acme-secret')).toMatchObject({
			statusCode: 200,
			body: `acme: ${body}`,
			error: undefined,
		})
	})

	it('answers a bad signature 401 with WWW-Authenticate in the prelude', async () => {
		const { invoke } = streamingHandler()
		expect(await invoke('wrong-secret')).toMatchObject({
			statusCode: 401,
			headers: { 'WWW-Authenticate': 'HMAC realm="api"' },
			body: 'Unauthorized',
			error: undefined,
		})
	})

	it('answers 503 with Retry-After while Secrets Manager is down', async () => {
		const { prefix, invoke } = streamingHandler()
		local.secretsManager.faults.inject({ type: 'down' }, { target: `${prefix}/acme` })
		expect(await invoke('acme-secret')).toMatchObject({
			statusCode: 503,
			headers: { 'Retry-After': '5' },
			body: 'Service Unavailable',
			error: undefined,
		})
	})
})
