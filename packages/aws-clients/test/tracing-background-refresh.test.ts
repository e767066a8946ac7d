import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { startXrayCapture, type XrayCapture, type XraySegment } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { clearClientCache } from '../src/index.js'
import { pipeline, roleArn, type Stack, startStack, table } from './harness.js'

let capture: XrayCapture
let stack: Stack

beforeAll(async () => {
	;[capture, stack] = await Promise.all([startXrayCapture(), startStack()])
	// The X-Ray SDK reads these when the tracer is imported, as in a Lambda sandbox.
	Object.assign(process.env, capture.lambdaEnv('aws-clients-refresh-test'))
})
afterAll(async () => {
	vi.useRealTimers()
	await Promise.all([capture.stop(), stack.stop()])
})

let invocations = 0
/** What the Lambda runtime does before calling the handler of one invocation. */
const nextInvocation = () => {
	const n = String(++invocations).padStart(2, '0')
	const root = `1-6759e988-bd862e3fe1be46a99427c0${n}`
	process.env._X_AMZN_TRACE_ID = `Root=${root};Parent=53995c3f42cdc0${n};Sampled=1`
	return root
}

describe('X-Ray, with tenant credentials refreshed in the background', () => {
	// Known bug, not fixed: the background AssumeRole starts inside the invocation, so Powertools'
	// HTTP capture (on by default) opens its subsegment under that invocation's handler segment.
	// The invocation ends first; the X-Ray SDK never sends a subsegment closed before its last
	// child, so the trace of every invocation that starts a refresh loses its handler segment, and
	// the STS subsegment lands in a later trace under a parent that is not there. Turn `it.fails`
	// into `it` with the fix.
	it.fails('sends the handler segment of the invocation that started the refresh', async () => {
		clearClientCache()
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now())
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const tracer = new Tracer()
		const { invoke } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
				tracer,
			},
			async (context) =>
				context.clients.dynamodb.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: context.tenant.key('item', '1') }, sk: { S: '1' } },
					}),
				),
			{ first: captureLambdaHandler(tracer) },
		)
		nextInvocation()
		expect((await invoke('acme')).statusCode).toBe(200)
		vi.advanceTimersByTime(11 * 60_000) // 4 minutes of validity left: refreshed in the background
		// STS answers after this invocation has ended, as a slow STS does.
		stack.sts.faults.inject({ type: 'delay', ms: 300 })
		const refreshing = nextInvocation()
		expect((await invoke('acme')).statusCode).toBe(200)
		await vi.waitFor(() => expect(stack.sts.assumeRoleCalls).toHaveLength(2), { timeout: 3_000 })
		const next = nextInvocation()
		expect((await invoke('acme')).statusCode).toBe(200)

		const handlerOf = (all: XraySegment[], root: string) =>
			all.find((s) => s.name === '## index.handler' && s.trace_id === root)
		const segments = await capture
			.waitFor((all) => handlerOf(all, refreshing) !== undefined, 2_000)
			.catch(() => capture.segments())
		expect(handlerOf(segments, next)).toBeDefined()
		expect(handlerOf(segments, refreshing), `handler segment of trace ${refreshing}`).toBeDefined()
		// No subsegment names a parent its trace does not have.
		const ids = new Set(segments.map((s) => s.id))
		const orphans = segments.filter(
			(s) => s.type === 'subsegment' && s.parent_id !== undefined && !ids.has(s.parent_id),
		)
		expect(orphans.filter((s) => s.name !== '## index.handler')).toEqual([])
	})
})
