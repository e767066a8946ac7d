import {
	httpApiEvent,
	type LocalIdentityProvider,
	lambdaContext,
	startIdentityProvider,
	startXrayCapture,
	type XrayCapture,
	type XraySegment,
} from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const savedEnv = { ...process.env }
let capture: XrayCapture
let idp: LocalIdentityProvider

beforeAll(async () => {
	;[capture, idp] = await Promise.all([startXrayCapture(), startIdentityProvider()])
	// As in a Lambda sandbox during init: the runtime sets _X_AMZN_TRACE_ID per invocation only.
	const env = capture.lambdaEnv('jwt-auth-prefetch-test')
	delete env._X_AMZN_TRACE_ID
	delete process.env._X_AMZN_TRACE_ID
	Object.assign(process.env, env)
})
afterAll(async () => {
	await Promise.all([capture.stop(), idp.stop()])
	for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
	Object.assign(process.env, savedEnv)
})

/** What the Lambda runtime does before calling the handler of one invocation. */
const invocationTrace = (n: number) => {
	const root = `1-6759e988-bd862e3fe1be46a9942727${String(n).padStart(2, '0')}`
	const parent = `53995c3f42cd8a${String(n).padStart(2, '0')}`
	process.env._X_AMZN_TRACE_ID = `Root=${root};Parent=${parent};Sampled=1`
	return { root, parent }
}

describe('X-Ray, with the cold-start JWKS prefetch still in flight at the first invocation', () => {
	it('every invocation gets its own handler segment, in its own trace, annotated with its tenant', async () => {
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const { default: middy } = await import('@middy/core')
		const { default: httpErrorHandler } = await import('@middy/http-error-handler')
		const { jwtAuth } = await import('../src/index.js')
		// An identity provider that takes a moment to answer, as on any cold start.
		idp.faults.inject({ type: 'delay', ms: 300 }, { target: '/.well-known/jwks.json', times: 1 })
		const tracer = new Tracer()
		// Module scope of the function: the default prefetch starts once init has finished.
		const handler = middy()
			.use(httpErrorHandler({ logger: false }))
			.use(captureLambdaHandler(tracer))
			.use(jwtAuth({ issuers: { issuer: idp.issuer, audience: 'api' }, tracer }))
			.handler(async () => ({ statusCode: 200 }))
		await new Promise((resolve) => setImmediate(resolve))

		const tokens = {
			acme: await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' }),
			globex: await idp.sign({ sub: 'user-2', aud: 'api', tenant_id: 'globex' }),
		}
		const traces: { root: string; parent: string; tenant: 'acme' | 'globex' }[] = []
		for (const [n, tenant] of (['acme', 'globex', 'acme'] as const).entries()) {
			traces.push({ ...invocationTrace(n + 1), tenant })
			const event = httpApiEvent({ headers: { authorization: `Bearer ${tokens[tenant]}` } })
			expect(await handler(event as never, lambdaContext())).toMatchObject({ statusCode: 200 })
		}

		const handlerSegmentOf = (all: XraySegment[], root: string) =>
			all.find((s) => s.name === '## index.handler' && s.trace_id === root)
		const segments = await capture
			.waitFor((all) => traces.every(({ root }) => handlerSegmentOf(all, root)), 2_000)
			.catch(() => capture.segments())
		for (const { root, parent, tenant } of traces) {
			const handlerSegment = handlerSegmentOf(segments, root)
			expect(handlerSegment, `handler segment of trace ${root}`).toBeDefined()
			// Directly under the invocation's own Lambda segment, not under a subsegment of another trace.
			expect(handlerSegment?.parent_id).toBe(parent)
			expect(handlerSegment?.annotations).toMatchObject({ tenant_id: tenant })
		}
	})
})
