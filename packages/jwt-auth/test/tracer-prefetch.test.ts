import { httpApiEvent, lambdaContext, type XraySegment } from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import { coldStartHandler, lambdaSandbox } from './tracer-env.js'

const sandbox = lambdaSandbox('jwt-auth-prefetch-test')

/** What the Lambda runtime does before calling the handler of one invocation. */
const invocationTrace = (n: number) => {
	const root = `1-6759e988-bd862e3fe1be46a9942727${String(n).padStart(2, '0')}`
	const parent = `53995c3f42cd8a${String(n).padStart(2, '0')}`
	process.env._X_AMZN_TRACE_ID = `Root=${root};Parent=${parent};Sampled=1`
	return { root, parent }
}

describe('X-Ray, with the cold-start JWKS prefetch still in flight at the first invocation', () => {
	it('every invocation gets its own handler segment, in its own trace, annotated with its tenant', async () => {
		const { capture, idp } = sandbox
		// An identity provider that takes a moment to answer, as on any cold start.
		idp.faults.inject({ type: 'delay', ms: 300 }, { target: '/.well-known/jwks.json', times: 1 })
		const { handler } = await coldStartHandler(idp)

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
