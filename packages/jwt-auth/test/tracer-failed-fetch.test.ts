import type { Fault } from '@tenantry/testing'
import { httpApiEvent, lambdaContext, type XraySegment } from '@tenantry/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { lambdaSandbox } from './tracer-env.js'

const sandbox = lambdaSandbox('jwt-auth-failed-fetch-test')
afterEach(() => sandbox.idp.faults.clear())

let invocations = 0
/** What the Lambda runtime does before calling the handler of one invocation. */
const nextInvocation = () => {
	const n = String(++invocations).padStart(2, '0')
	const root = `1-6759e988-bd862e3fe1be46a99427f0${n}`
	const parent = `53995c3f42cdf0${n}`
	process.env._X_AMZN_TRACE_ID = `Root=${root};Parent=${parent};Sampled=1`
	return { root, parent }
}

/**
 * Powertools' default Tracer instruments node:http(s): the JWKS request gets a subsegment of its
 * own, inside the `JWKS <host>` one. A fetch that jwt-auth gives up on (a timeout, a body over
 * `maxBytes`) must still leave the invocation's trace whole: the X-Ray SDK sends a closed
 * subsegment only once all its children are closed, so one left open loses the handler segment
 * of the very invocations that answered 503.
 */
describe.each<{ failure: string; fault: Fault }>([
	{
		failure: 'the issuer not answering within jwks.timeoutMs',
		fault: { type: 'delay', ms: 5_000 },
	},
	{ failure: 'a JWKS larger than jwks.maxBytes', fault: { type: 'oversized', bytes: 100_000 } },
])('X-Ray, a JWKS fetch failed by $failure', ({ fault }) => {
	it('sends the 503 invocation its handler segment, with the JWKS subsegment closed under it', async () => {
		const { capture, idp } = sandbox
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const { default: middy } = await import('@middy/core')
		const { default: httpErrorHandler } = await import('@middy/http-error-handler')
		const { jwtAuth } = await import('../src/index.js')
		const tracer = new Tracer()
		const handler = middy()
			.use(httpErrorHandler({ logger: false }))
			.use(captureLambdaHandler(tracer))
			.use(
				jwtAuth({
					issuers: { issuer: idp.issuer, audience: 'api' },
					tracer,
					prefetch: false,
					jwks: { timeoutMs: 200, maxBytes: 10_000 },
				}),
			)
			.handler(async () => ({ statusCode: 200 }))
		idp.faults.inject(fault, { target: '/.well-known/jwks.json', times: 1 })
		const { root, parent } = nextInvocation()
		const token = await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' })
		const event = httpApiEvent({ headers: { authorization: `Bearer ${token}` } })
		expect(await handler(event as never, lambdaContext())).toMatchObject({ statusCode: 503 })

		const handlerOf = (all: XraySegment[]) =>
			all.find((s) => s.name === '## index.handler' && s.trace_id === root)
		const segments = await capture
			.waitFor((all) => handlerOf(all) !== undefined, 2_000)
			.catch(() => capture.segments())
		const handlerSegment = handlerOf(segments)
		expect(handlerSegment, `handler segment of trace ${root}`).toBeDefined()
		expect(handlerSegment?.parent_id).toBe(parent)
		const jwksSegment = segments.find(
			(s) => s.name === `JWKS ${new URL(idp.issuer).host}` && s.trace_id === root,
		)
		expect(jwksSegment?.parent_id).toBe(handlerSegment?.id)
		expect(jwksSegment?.in_progress).toBeUndefined()
		expect(jwksSegment?.fault).toBe(true)
		// Every subsegment of the trace was sent closed: none is waited for in vain.
		const inTrace = segments.filter((s) => s.trace_id === root)
		expect(inTrace.filter((s) => s.in_progress === true || s.end_time === undefined)).toEqual([])
	})
})
