import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest'
import { awsClientsPlugin } from '../src/index.js'
import { usesAsyncContextFrame } from '../src/request-facts.js'
import {
	contextWithoutRequestId,
	gate,
	pipeline,
	readSecret,
	type Stack,
	seedSecrets,
	startStack,
	tenantDynamoDbOptions,
} from './harness.js'

/**
 * Invocations that overlap although nothing said they would (`concurrentInvocations` off: no
 * `AWS_LAMBDA_MAX_CONCURRENCY`, a custom runtime, a test calling the handler twice at once).
 * Once they overlap the process tracks requests per async context, so this has its own file.
 */
let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(async () => {
	stack.reset()
	await seedSecrets(stack, ['acme', 'globex'])
})

type Modules = Pick<
	typeof import('./harness.js'),
	'gate' | 'pipeline' | 'readSecret' | 'tenantDynamoDbOptions'
> & { awsClientsPlugin: typeof awsClientsPlugin }

/**
 * A pipeline whose first globex request keeps its client, as module-scope code might, and whose
 * acme request reads globex's item through it while a later globex request is in flight. The
 * tests invoke it themselves: on Node 22, requests started as an await resumes that began before
 * they overlapped get no record (overlap-awaited-by-the-invoker.test.ts).
 */
const keptClientPipeline = ({
	gate,
	pipeline,
	readSecret,
	tenantDynamoDbOptions,
	awsClientsPlugin,
}: Modules) => {
	let kept: DynamoDBClient | undefined
	const globexRunning = gate()
	const acmeRead = gate()
	return pipeline(
		tenantDynamoDbOptions(stack, { concurrentInvocations: false }),
		async (context) => {
			if (context.tenant.id === 'globex') {
				// The first globex request keeps its client, as module-scope code might.
				if (kept === undefined) {
					kept = context.clients.dynamodb
					return 'kept'
				}
				globexRunning.open()
				await acmeRead.opened
				return readSecret(context.clients.dynamodb, 'globex')
			}
			// acme's request uses the kept client only once globex's request is the later one.
			await globexRunning.opened
			try {
				return { kept: await readSecret(kept, 'globex') }
			} finally {
				acmeRead.open()
			}
		},
		{ plugin: awsClientsPlugin() },
	)
}

it("refuses globex's kept client in acme's request while a globex request overlaps it", async () => {
	const run = keptClientPipeline({
		gate,
		pipeline,
		readSecret,
		tenantDynamoDbOptions,
		awsClientsPlugin,
	})
	await run.invoke('globex')
	const [acme, globex] = await Promise.all([
		run.invoke('acme', { requestId: 'req-acme' }),
		run.invoke('globex', { requestId: 'req-globex' }),
	])
	// One record names the request that started last, globex's: the kept client then passed as
	// globex's and acme's request got globex's item. It must be refused (fails closed).
	expect(JSON.parse(acme.body)).toEqual({ kept: 403 })
	// AsyncContextFrame (Node 24) tells the two requests' contexts apart, and globex's own read is
	// served. With async_hooks storage (Node 22) globex's request, which switched tracking, runs
	// in a context it shares with acme's (both began before any storage existed): it gets no
	// record either, and is refused too (fails closed).
	const separable = usesAsyncContextFrame()
	expect(JSON.parse(globex.body)).toBe(separable ? 'TENANT#globex#secret' : 403)
	// Only globex's own read, if any, reached DynamoDB.
	const reads = stack.dynamodb.requests.filter((request) => request.operation === 'GetItem')
	expect(reads).toHaveLength(separable ? 1 : 0)

	// Requests that follow are each served as their own tenant.
	const alone = pipeline(
		tenantDynamoDbOptions(stack, { concurrentInvocations: false }),
		async (context) => readSecret(context.clients.dynamodb, context.tenant.id),
		{ plugin: awsClientsPlugin() },
	)
	const after = await Promise.all([alone.invoke('acme'), alone.invoke('globex')])
	expect(after.map((response) => JSON.parse(response.body))).toEqual([
		'TENANT#acme#secret',
		'TENANT#globex#secret',
	])
})

it('reads the storage Node keeps async contexts in from its flags, else from its version', () => {
	// What the refusal above depends on: Node 24 may run without AsyncContextFrame, Node 22 with it.
	const saved = process.env.NODE_OPTIONS
	const byVersion = Number(process.versions.node.split('.')[0]) >= 24
	try {
		process.env.NODE_OPTIONS = '--max-old-space-size=512 --no-async-context-frame'
		expect(usesAsyncContextFrame()).toBe(false)
		process.env.NODE_OPTIONS = '--experimental-async-context-frame'
		expect(usesAsyncContextFrame()).toBe(true)
		process.env.NODE_OPTIONS = '--max-old-space-size=512'
		expect(usesAsyncContextFrame()).toBe(byVersion)
	} finally {
		if (saved === undefined) delete process.env.NODE_OPTIONS
		else process.env.NODE_OPTIONS = saved
	}
})

/**
 * The package and harness as a process that never saw invocations overlap loads them: the test
 * above switched this one to tracking per async context for good.
 */
const freshProcess = async () => {
	vi.resetModules()
	const [harness, { awsClientsPlugin }, { usesAsyncContextFrame }] = await Promise.all([
		import('./harness.js'),
		import('../src/index.js'),
		import('../src/request-facts.js'),
	])
	return { ...harness, awsClientsPlugin, usesAsyncContextFrame }
}

it("refuses globex's kept client in acme's request while a globex request overlaps it, when neither context has an awsRequestId", async () => {
	// Two context objects without an id are two invocations, not one invocation's route.
	const fresh = await freshProcess()
	const run = keptClientPipeline(fresh)
	await run.invoke('globex', {}, contextWithoutRequestId())
	const [acme] = await Promise.all([
		run.invoke('acme', {}, contextWithoutRequestId()),
		run.invoke('globex', {}, contextWithoutRequestId()),
	])
	expect(JSON.parse(acme.body)).toEqual({ kept: 403 })
})

it('ends the record of the request that switched tracking when it ends: a read it left running is refused', async () => {
	const fresh = await freshProcess()
	const globexStarted = fresh.gate()
	const answered = fresh.gate()
	let leftRunning: Promise<unknown> = Promise.resolve()
	const run = fresh.pipeline(
		fresh.tenantDynamoDbOptions(stack, { concurrentInvocations: false }),
		async (context) => {
			// acme's request is in flight when globex's starts: globex's switches tracking.
			if (context.tenant.id === 'acme') {
				await globexStarted.opened
				return 'acme'
			}
			globexStarted.open()
			const client = context.clients.dynamodb
			leftRunning = answered.opened.then(() => fresh.readSecret(client, 'globex'))
			return fresh.readSecret(client, 'globex')
		},
		{ plugin: fresh.awsClientsPlugin() },
	)
	const [, globex] = await Promise.all([run.invoke('acme'), run.invoke('globex')])
	answered.open()
	expect(await leftRunning).toBe(403)
	// globex's own read is served where AsyncContextFrame tells the requests apart (Node 24). With
	// async_hooks storage (Node 22) it depends on the process, not on these modules: refused (fails
	// closed) as in the first test when nothing tracked per async context before these requests
	// began (this test run alone), served when the first test here already had.
	const answers = fresh.usesAsyncContextFrame()
		? ['TENANT#globex#secret']
		: ['TENANT#globex#secret', 403]
	expect(answers).toContain(JSON.parse(globex.body))
})
