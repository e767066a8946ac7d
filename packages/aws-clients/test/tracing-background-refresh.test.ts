import { startXrayCapture, type XrayCapture, type XraySegment } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { clearClientCache } from '../src/index.js'
import { type Stack, startStack } from './harness.js'
import { tracedItemRead } from './traced-item-read.js'

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
/** The id of the function's segment (the facade) of each trace, by trace id: Lambda sends it. */
const lambdaSegments = new Map<string, string>()
/** What the Lambda runtime does before calling the handler of one invocation. */
const nextInvocation = () => {
	const n = String(++invocations).padStart(2, '0')
	const root = `1-6759e988-bd862e3fe1be46a99427c0${n}`
	const parent = `53995c3f42cdc0${n}`
	lambdaSegments.set(root, parent)
	process.env._X_AMZN_TRACE_ID = `Root=${root};Parent=${parent};Sampled=1`
	return root
}

describe('X-Ray, with tenant credentials refreshed in the background', () => {
	// The background AssumeRole starts inside an invocation, and STS answers after it ended. Its
	// subsegment (Powertools' HTTP capture, on by default) must not open under that invocation's
	// handler segment: the X-Ray SDK never sends a subsegment closed before its last child, so the
	// trace would lose its handler segment, and the STS subsegment would land under a parent that
	// is not there.
	it('sends the handler segment of the invocation that started the refresh', async () => {
		clearClientCache()
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now())
		const { invoke } = await tracedItemRead(stack, { tenantCredentials: true })
		const firstTrace = nextInvocation()
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
		// Powertools' HTTP capture names a call's subsegment after the host (DynamoDB's are `aws`).
		const stsHost = new URL(stack.sts.endpoint).hostname
		const stsCalls = (all: XraySegment[]) =>
			all.filter((s) => s.namespace === 'remote' && s.name === stsHost)
		const segments = await capture
			.waitFor(
				(all) =>
					handlerOf(all, refreshing) !== undefined &&
					handlerOf(all, next) !== undefined &&
					stsCalls(all).length === 2,
				3_000,
			)
			.catch(() => capture.segments())
		expect(handlerOf(segments, next)).toBeDefined()
		expect(handlerOf(segments, refreshing), `handler segment of trace ${refreshing}`).toBeDefined()
		// No subsegment names a parent its trace does not have: one sent, or the function's segment.
		const sent = new Set(segments.map((s) => `${s.trace_id} ${s.id}`))
		const orphans = segments.filter(
			(s) =>
				s.type === 'subsegment' &&
				!sent.has(`${s.trace_id} ${s.parent_id}`) &&
				lambdaSegments.get(s.trace_id ?? '') !== s.parent_id,
		)
		expect(orphans).toEqual([])
		// The first AssumeRole, which the first invocation waited for, is in its handler segment.
		const [first, refresh, ...others] = stsCalls(segments)
		expect(others).toEqual([])
		expect(first?.parent_id).toBe(handlerOf(segments, firstTrace)?.id)
		// The refresh is sent, complete, under the function's segment of a trace.
		expect(refresh).toMatchObject({ end_time: expect.any(Number) })
		expect(refresh?.in_progress).toBeUndefined()
		expect(refresh?.parent_id).toBe(lambdaSegments.get(refresh?.trace_id ?? ''))
		expect(segments.filter((s) => s.parent_id === refresh?.id)).toEqual([])
		// Detached from the invocation's trace, it still assumed the role for its tenant.
		expect(stack.sts.assumeRoleCalls[1]?.tags).toMatchObject({ tenant_id: 'acme' })
	})
})
