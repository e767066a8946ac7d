import { createRequire } from 'node:module'
import { httpApiEvent, installedTracer, lambdaContext, localTraceId } from '@tenantry/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { coldStartHandler, lambdaSandbox } from './tracer-env.js'

interface InvokeStore {
	run<T>(context: Record<symbol, unknown>, fn: () => T): T
}
interface InvokeStoreModule {
	InvokeStore: {
		getInstanceAsync(): Promise<InvokeStore>
	}
	InvokeStoreBase: { PROTECTED_KEYS: { REQUEST_ID: symbol; X_RAY_TRACE_ID: symbol } }
}

// Lambda Managed Instances: several invocations at once in one process, the trace header of
// each in the runtime's invocation store (never in _X_AMZN_TRACE_ID).
const sandbox = lambdaSandbox('jwt-auth-managed-instances-test', {
	AWS_LAMBDA_MAX_CONCURRENCY: '4',
})
const installed = installedTracer(new URL('..', import.meta.url))
let invokeStore: InvokeStore
let keys: InvokeStoreModule['InvokeStoreBase']['PROTECTED_KEYS']

beforeAll(async () => {
	// The runtime's store, as the Node.js runtime of a managed instance creates it.
	const module = createRequire(installed.packageJson)(
		'@aws/lambda-invoke-store',
	) as InvokeStoreModule
	invokeStore = await module.InvokeStore.getInstanceAsync()
	keys = module.InvokeStoreBase.PROTECTED_KEYS
})

/** How the runtime runs one invocation: inside the store, with its request id and trace header. */
const asInvocation = <T>(fn: () => Promise<T>): Promise<T> =>
	invokeStore.run(
		{
			[keys.REQUEST_ID]: crypto.randomUUID(),
			[keys.X_RAY_TRACE_ID]: `Root=${localTraceId};Parent=53995c3f42cd8ad8;Sampled=1`,
		},
		fn,
	)

describe.skipIf(!installed.keepsSegmentPerInvocation)('X-Ray on Lambda Managed Instances', () => {
	it('the cold-start JWKS prefetch with a tracer does not fail the first requests', async () => {
		const { capture, idp } = sandbox
		idp.resetCalls()
		const { tracer, handler } = await coldStartHandler(idp)
		expect(tracer.isTracingEnabled()).toBe(true)

		const eventFor = async (tenant: string) => {
			const token = await idp.sign({ sub: `user-${tenant}`, aud: 'api', tenant_id: tenant })
			return httpApiEvent({ headers: { authorization: `Bearer ${token}` } })
		}
		const events = await Promise.all(['acme', 'globex'].map(eventFor))
		// Two invocations at once, as a managed instance runs them.
		const responses = await Promise.all(
			events.map((event) => asInvocation(() => handler(event as never, lambdaContext()))),
		)
		// The issuer is up: a 503 "JWKS unavailable" would be a lie, and the prefetch should have
		// fetched the keys once for every request.
		expect(responses).toMatchObject([{ statusCode: 200 }, { statusCode: 200 }])
		expect(idp.jwksCalls()).toBe(1)

		const segments = await capture.waitFor(
			(all) => all.filter((s) => s.name === '## index.handler').length >= 2,
		)
		const handlers = segments.filter((s) => s.name === '## index.handler')
		expect(handlers.map((s) => s.annotations?.tenant_id).sort()).toEqual(['acme', 'globex'])
	})
})
