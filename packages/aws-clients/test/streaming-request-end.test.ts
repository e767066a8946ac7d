import { Readable } from 'node:stream'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import middy, { type MiddlewareObj } from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import httpErrorHandler from '@middy/http-error-handler'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import {
	httpApiEvent,
	installStreamingRuntime,
	invokeStreaming,
	lambdaContext,
} from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { awsClients, awsClientsPlugin } from '../src/index.js'
import { usesAsyncContextFrame } from '../src/request-facts.js'
import {
	gate,
	type HandlerContext,
	readSecret,
	type Stack,
	seedSecrets,
	startStack,
	tenantDynamoDbOptions,
	testAuth,
} from './harness.js'

/**
 * awsClientsPlugin() in middy's streaming mode (executionModeStreamifyResponse, 7.9): middy
 * runs the plugin's requestEnd after the body was piped, but not when the request ends in an
 * error no onError answered (its standard mode does). Its last test leaves the process tracking
 * requests per async context, as the invocation after such a failure does.
 */
let stack: Stack
let restoreRuntime: () => void

beforeAll(async () => {
	stack = await startStack()
	await seedSecrets(stack, ['acme', 'globex'])
	restoreRuntime = installStreamingRuntime()
})
afterAll(async () => {
	restoreRuntime()
	await stack.stop()
})
beforeEach(() => stack.reset())

type Clients = { dynamodb: typeof DynamoDBClient }

/**
 * The workaround for a chain without @middy/http-error-handler (an InvokeWithResponseStream
 * caller, not HTTP): answer an error nothing else answered with a body that fails with it.
 * middy pipes it, runs requestEnd, and the invocation still fails with the error. Registered
 * first, so its onError runs last.
 */
const failThroughTheStream: MiddlewareObj<unknown, unknown, Error, Context> = {
	onError: (request) => {
		if (request.response !== undefined) return
		const { error } = request
		const failing: Readable = new Readable({ read: () => failing.destroy(error ?? undefined) })
		request.response = failing
	},
}

/**
 * A streaming handler with awsClientsPlugin(): acme's requests start a read that waits on a
 * gate (a send left running), then throw. `first` is registered ahead of everything.
 */
const streamingHandler = (first?: MiddlewareObj<unknown, unknown, Error, Context>) => {
	const mayRead = gate()
	let leftRunning: Promise<unknown> = Promise.resolve()
	const handler = middy(
		async (_event: unknown, context: HandlerContext<Clients>) => {
			const { dynamodb } = context.clients
			if (context.tenant.id === 'acme') {
				leftRunning = mayRead.opened.then(() => readSecret(dynamodb))
				throw new Error('the handler failed')
			}
			return { statusCode: 200, body: String(await readSecret(dynamodb, context.tenant.id)) }
		},
		{ ...awsClientsPlugin(), executionMode: executionModeStreamifyResponse },
	)
	if (first !== undefined) handler.use(first)
	handler
		.use(testAuth())
		.use(tenantIsolation({ onViolation: () => undefined }))
		.use(awsClients(tenantDynamoDbOptions(stack)))
	return {
		invoke: (tenant: string) =>
			invokeStreaming(
				handler,
				httpApiEvent({ headers: { 'x-test-tenant': tenant } }),
				lambdaContext(),
			),
		/** Lets acme's send left running go, and what it read: the item, or the refusal's status. */
		leftRunningReads: () => {
			mayRead.open()
			return leftRunning
		},
	}
}

describe('awsClientsPlugin with a streaming handler that fails', () => {
	it('ends a request whose error @middy/http-error-handler answers: its send left running is refused', async () => {
		const { invoke, leftRunningReads } = streamingHandler(httpErrorHandler({ logger: false }))
		expect(await invoke('acme')).toMatchObject({ statusCode: 500, body: '', error: undefined })
		expect(await leftRunningReads()).toBe(403)
		expect(await invoke('globex')).toMatchObject({ statusCode: 200, body: 'TENANT#globex#secret' })
	})

	it('ends a request whose error is answered with a stream failing with it (the README workaround)', async () => {
		const { invoke, leftRunningReads } = streamingHandler(failThroughTheStream)
		const failed = await invoke('acme')
		expect(failed.error).toEqual(new Error('the handler failed'))
		expect(await leftRunningReads()).toBe(403)
		expect(await invoke('globex')).toMatchObject({ statusCode: 200, body: 'TENANT#globex#secret' })
	})

	// Last in this file: the next invocation switches the process to tracking requests per async
	// context.
	it("pins middy's limitation: after an unanswered error the request stays open, its send left running is served", async () => {
		const { invoke, leftRunningReads } = streamingHandler()
		const failed = await invoke('acme')
		expect({ started: failed.started, error: failed.error }).toEqual({
			started: false,
			error: new Error('the handler failed'),
		})
		// Standard mode would have ended the request: 403, as in the tests above.
		expect(await leftRunningReads()).toBe('TENANT#acme#secret')
		// The next invocation finds acme's request open and takes it for an overlapping one. Where
		// async storage follows async_hooks resources (Node 22, Lambda's nodejs22.x), it cannot
		// tell its own context from the open request's and is refused its tenant clients.
		// Its own read, refused or served:
		expect((await invoke('globex')).body).toBe(
			usesAsyncContextFrame() ? 'TENANT#globex#secret' : '403',
		)
	})
})
