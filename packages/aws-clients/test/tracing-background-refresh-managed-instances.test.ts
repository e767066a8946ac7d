import { createRequire } from 'node:module'
import {
	installedTracer,
	startXrayCapture,
	type XrayCapture,
	type XraySegment,
} from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { clearClientCache } from '../src/index.js'
import { type Stack, startStack } from './harness.js'
import { tracedItemRead } from './traced-item-read.js'

interface InvokeStore {
	run<T>(context: Record<symbol, unknown>, fn: () => T): T
}
interface InvokeStoreModule {
	InvokeStore: { getInstanceAsync(): Promise<InvokeStore> }
	InvokeStoreBase: { PROTECTED_KEYS: { REQUEST_ID: symbol; X_RAY_TRACE_ID: symbol } }
}

const installed = installedTracer(new URL('..', import.meta.url))

let capture: XrayCapture
let stack: Stack
let invokeStore: InvokeStore
let keys: InvokeStoreModule['InvokeStoreBase']['PROTECTED_KEYS']
const savedEnv = { ...process.env }

beforeAll(async () => {
	;[capture, stack] = await Promise.all([startXrayCapture(), startStack()])
	// Lambda Managed Instances: each invocation's trace header is in the runtime's invocation
	// store, never in _X_AMZN_TRACE_ID, and Powertools keeps the current segment there too. The
	// X-Ray SDK reads the environment when the tracer is imported.
	const lambdaEnv = capture.lambdaEnv('aws-clients-refresh-managed-instances-test')
	delete lambdaEnv._X_AMZN_TRACE_ID
	delete process.env._X_AMZN_TRACE_ID
	Object.assign(process.env, lambdaEnv, { AWS_LAMBDA_MAX_CONCURRENCY: '4' })
	const module = createRequire(installed.packageJson)(
		'@aws/lambda-invoke-store',
	) as InvokeStoreModule
	invokeStore = await module.InvokeStore.getInstanceAsync()
	keys = module.InvokeStoreBase.PROTECTED_KEYS
})
afterAll(async () => {
	vi.useRealTimers()
	await Promise.all([capture.stop(), stack.stop()])
	for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
	Object.assign(process.env, savedEnv)
})

let invocations = 0
/** The id of the function's segment of each trace, by trace id: Lambda sends it. */
const lambdaSegments = new Map<string, string>()
/** How the runtime of a managed instance runs one invocation: in the store, with its header. */
const asInvocation = <T>(fn: () => Promise<T>) => {
	const n = String(++invocations).padStart(2, '0')
	const root = `1-6759e988-bd862e3fe1be46a99427d0${n}`
	const parent = `53995c3f42cdd0${n}`
	lambdaSegments.set(root, parent)
	const header = `Root=${root};Parent=${parent};Sampled=1`
	const context = { [keys.REQUEST_ID]: `request-${n}`, [keys.X_RAY_TRACE_ID]: header }
	return { root, result: invokeStore.run(context, fn) }
}

describe.skipIf(!installed.keepsSegmentPerInvocation)(
	'X-Ray on Lambda Managed Instances, with tenant credentials refreshed in the background',
	() => {
		// README: there every STS call, the first too, is under the function's segment.
		it('sends every handler segment, and every STS call under the function segment', async () => {
			clearClientCache()
			vi.useFakeTimers({ toFake: ['Date'] })
			vi.setSystemTime(Date.now())
			const { tracer, invoke } = await tracedItemRead(stack, { tenantCredentials: true })
			expect(tracer.isTracingEnabled()).toBe(true)
			const first = asInvocation(() => invoke('acme'))
			expect((await first.result).statusCode).toBe(200)
			vi.advanceTimersByTime(11 * 60_000) // 4 minutes of validity left: refreshed in the background
			// STS answers after this invocation has ended, as a slow STS does.
			stack.sts.faults.inject({ type: 'delay', ms: 300 })
			const refreshing = asInvocation(() => invoke('acme'))
			expect((await refreshing.result).statusCode).toBe(200)
			await vi.waitFor(() => expect(stack.sts.assumeRoleCalls).toHaveLength(2), { timeout: 3_000 })

			const handlerOf = (all: XraySegment[], root: string) =>
				all.find((s) => s.name === '## index.handler' && s.trace_id === root)
			const stsHost = new URL(stack.sts.endpoint).hostname
			const stsCalls = (all: XraySegment[]) =>
				all.filter((s) => s.namespace === 'remote' && s.name === stsHost)
			const segments = await capture
				.waitFor(
					(all) => handlerOf(all, refreshing.root) !== undefined && stsCalls(all).length === 2,
					3_000,
				)
				.catch(() => capture.segments())
			expect(handlerOf(segments, first.root)).toBeDefined()
			expect(handlerOf(segments, refreshing.root)).toBeDefined()
			const calls = stsCalls(segments)
			expect(calls).toHaveLength(2)
			for (const call of calls) {
				expect(call.in_progress).toBeUndefined()
				expect(call.parent_id).toBe(lambdaSegments.get(call.trace_id ?? ''))
			}
			expect(calls[0]?.trace_id).toBe(first.root)
		})
	},
)
