import { PassThrough, Readable } from 'node:stream'
import { setTimeout } from 'node:timers/promises'
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import middy, { type MiddlewareObj } from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { awsClients, awsClientsPlugin } from '../src/index.js'
import {
	crossTenantRead,
	keptClientAt,
	ownRead,
	pipeline,
	readSecret,
	reentrantRequest,
	routedRequest,
	routeLeftRunning,
	type Stack,
	seedSecrets,
	startStack,
	table,
	tenantDynamoDbOptions,
	testAuth,
	withMaxConcurrency,
} from './harness.js'

/**
 * With `concurrentInvocations` (Lambda Managed Instances). Tracking requests per async context
 * holds for the whole process once any awsClients asks for it, so the one-record mode has its
 * own file: `sequential-invocations.test.ts`.
 */
let stack: Stack

beforeAll(async () => {
	stack = await startStack()
	await seedSecrets(stack, ['acme'])
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

const asyncBefore: MiddlewareObj<unknown, unknown, Error, Context> = {
	before: () => setTimeout(1).then(() => undefined),
}

/** Runs `run` with Lambda's response streaming, as far as middy's streaming mode uses it. */
const withResponseStreaming = async <T>(run: () => Promise<T>): Promise<T> => {
	const runtime = globalThis as { awslambda?: unknown }
	const previous = runtime.awslambda
	runtime.awslambda = {
		streamifyResponse: (handler: unknown) => handler,
		HttpResponseStream: { from: (stream: unknown) => stream },
	}
	try {
		return await run()
	} finally {
		if (previous === undefined) delete runtime.awslambda
		else runtime.awslambda = previous
	}
}

/**
 * acme's request, in middy's streaming mode with awsClientsPlugin(), returns a body that reads
 * acme's secret item while middy pipes it into the response stream; what the stream got.
 */
const streamedBody = (first: MiddlewareObj<unknown, unknown, Error, Context> | undefined) =>
	withResponseStreaming(async () => {
		const handler = middy(
			async (_event: unknown, context: { clients: { dynamodb: DynamoDBClient } }) => {
				const { dynamodb } = context.clients
				return Readable.from(
					(async function* () {
						await setTimeout(5)
						yield String(await readSecret(dynamodb))
					})(),
				)
			},
			{ ...awsClientsPlugin(), executionMode: executionModeStreamifyResponse },
		)
		if (first !== undefined) handler.use(first)
		handler
			.use(testAuth())
			.use(tenantIsolation({ onViolation: () => undefined }))
			.use(awsClients(tenantDynamoDbOptions(stack, { concurrentInvocations: true })))
		const chunks: string[] = []
		const stream = new PassThrough()
		stream.on('data', (chunk) => chunks.push(String(chunk)))
		const invoke = handler as unknown as (
			event: unknown,
			stream: unknown,
			context: unknown,
		) => Promise<void>
		const event = httpApiEvent({ method: 'POST', headers: { 'x-test-tenant': 'acme' } })
		// A fresh async context, as the runtime gives each invocation.
		await new Promise<void>((resolve, reject) => {
			setImmediate(() => invoke(event, stream, lambdaContext()).then(resolve, reject))
		})
		return chunks.join('')
	})

describe('concurrent invocations in one process, tracked per async context', () => {
	it('tracks requests per async context by default where Lambda sets AWS_LAMBDA_MAX_CONCURRENCY', () =>
		withMaxConcurrency('64', async () => {
			const { run, both } = crossTenantRead(stack)
			await both
			expect(run.violations).toEqual([expect.objectContaining({ requestId: 'req-acme' })])
		}))

	it('refuses the cross-tenant read of the invocation that made it, whatever runs beside it', async () => {
		const { run, both } = crossTenantRead(stack, true)
		const [acme, globex] = await both
		expect(acme.statusCode).toBe(403)
		expect(globex.statusCode).toBe(200)
		expect(run.violations).toEqual([
			expect.objectContaining({
				code: 'dynamodb_cross_tenant_key',
				tenant: 'acme',
				claimedTenant: 'globex',
			}),
		])
		expect(stack.dynamodb.requests.filter((r) => r.operation === 'GetItem')).toEqual([])
	})

	it.each([
		{ concurrentInvocations: true, instance: 'given concurrentInvocations' },
		// The setting holds for the whole process once one awsClients asks for it.
		{ concurrentInvocations: false, instance: 'given false, once another asked for it' },
	])(
		"serves each tenant's own reads while another tenant's invocation is in flight ($instance)",
		async ({ concurrentInvocations }) => {
			const { run, both } = ownRead(stack, concurrentInvocations)
			const [acme, globex] = await both
			expect({
				acme: acme.statusCode,
				globex: globex.statusCode,
				violations: run.violations,
			}).toEqual({ acme: 200, globex: 200, violations: [] })
		},
	)

	it('a guard violation names its own request, not the one that started last', async () => {
		const { run, both } = crossTenantRead(stack, true)
		await both
		expect(run.violations).toEqual([
			expect.objectContaining({ requestId: 'req-acme', path: '/items', method: 'POST' }),
		])
	})

	it("the STS session of a tenant is named after that tenant's request", async () => {
		const { both } = ownRead(stack, true)
		const [acme] = await both
		expect(acme.statusCode).toBe(200)
		expect(stack.sts.assumeRoleCalls.map((call) => call.roleSessionName)).toEqual(['acme@req-acme'])
	})

	it('refuses a kept client in the onError of an earlier middleware, for a request that failed before awsClients ran', async () => {
		const { run, outcomes } = keptClientAt(stack, 'onError of an earlier middleware', {
			concurrentInvocations: true,
		})
		await run.invoke('acme')
		await run.invoke(undefined)
		expect({ outcomes, sent: stack.dynamodb.requests.length }).toEqual({ outcomes: [403], sent: 0 })
	})

	it.each([
		['before of an earlier middleware', 'globex'],
		['onError of a later middleware', undefined],
	] as const)('refuses a kept client in the %s with awsClientsPlugin()', async (spot, tenant) => {
		const { run, outcomes } = keptClientAt(stack, spot, {
			concurrentInvocations: true,
			plugin: awsClientsPlugin(),
		})
		await run.invoke('acme')
		await run.invoke(tenant)
		expect({ outcomes, sent: stack.dynamodb.requests.length }).toEqual({ outcomes: [403], sent: 0 })
	})

	it.each([
		[false, true],
		[true, false],
	])(
		"refuses a client kept in a handler whose awsClients has concurrentInvocations: %s in another handler's request (%s)",
		async (keeping, serving) => {
			let kept: DynamoDBClient | undefined
			const routeA = pipeline(
				tenantDynamoDbOptions(stack, { concurrentInvocations: keeping }),
				async (context) => {
					kept ??= context.clients.dynamodb
					return 'a'
				},
			)
			const routeB = pipeline(
				tenantDynamoDbOptions(stack, { concurrentInvocations: serving }),
				async () =>
					kept
						?.send(
							new GetItemCommand({
								TableName: table,
								Key: { pk: { S: 'TENANT#acme#secret' }, sk: { S: '1' } },
							}),
						)
						.then(
							() => 'sent',
							(error: { statusCode?: number }) => error.statusCode,
						),
			)
			await routeA.invoke('acme')
			const globex = await routeB.invoke('globex')
			expect({ outcome: JSON.parse(globex.body), sent: stack.dynamodb.requests.length }).toEqual({
				outcome: 403,
				sent: 0,
			})
		},
	)

	it("treats a middy handler called inside a request with its context (a router's route) as part of that request, with awsClientsPlugin()", async () => {
		const acme = await routedRequest(stack, true).invoke('acme')
		expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
			200,
			{ routed: 'TENANT#acme#secret', after: 'TENANT#acme#secret' },
		])
	})

	it.each([
		{ befores: 'synchronous befores', first: undefined },
		{ befores: 'an asynchronous before ahead of awsClients', first: asyncBefore },
	])(
		"gives a handler of another tenant called inside a request its own tenant, and the caller's back when it returns ($befores)",
		async ({ first }) => {
			const acme = await reentrantRequest(stack, { concurrentInvocations: true, first }).invoke(
				'acme',
			)
			expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
				200,
				{ inside: [403], own: 'TENANT#acme#secret', viaInner: [403] },
			])
		},
	)

	it('with awsClientsPlugin(), refuses a tenant client to the code that invoked the handler, after it returned', async () => {
		let kept: DynamoDBClient | undefined
		const run = pipeline(
			tenantDynamoDbOptions(stack, { concurrentInvocations: true }),
			async (context) => {
				kept = context.clients.dynamodb
				return 'ok'
			},
			{ plugin: awsClientsPlugin() },
		)
		await run.invoke('acme')
		expect(await readSecret(kept)).toBe(403)
	})

	it.each([
		{ befores: 'synchronous befores', first: undefined },
		{ befores: 'an asynchronous before ahead of awsClients', first: asyncBefore },
	])(
		'with awsClientsPlugin(), serves a streamed response body that reads while middy pipes it ($befores)',
		async ({ first }) => {
			const body = await streamedBody(first)
			expect(body).toBe('TENANT#acme#secret')
		},
	)

	it("gives handlers of other tenants called at once inside a request their own tenants, and the caller's back when they return", async () => {
		const acme = await reentrantRequest(stack, {
			concurrentInvocations: true,
			inner: ['globex', 'initech'],
		}).invoke('acme')
		expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
			200,
			{ inside: [403, 403], own: 'TENANT#acme#secret', viaInner: [403, 403] },
		])
	})

	it('keeps the request in flight when another awsClients with concurrentInvocations is built during it (a route imported lazily)', async () => {
		const run = pipeline(
			tenantDynamoDbOptions(stack, { concurrentInvocations: true }),
			async (context) => {
				awsClients(tenantDynamoDbOptions(stack, { concurrentInvocations: true }))
				return readSecret(context.clients.dynamodb)
			},
		)
		const acme = await run.invoke('acme')
		expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([200, 'TENANT#acme#secret'])
	})

	it('with awsClientsPlugin(), ends the request that called a handler and left it running: a client kept in it is refused afterwards', async () => {
		expect(await routeLeftRunning(stack, true)).toEqual({ statusCode: 200, afterwards: 403 })
	})
})
