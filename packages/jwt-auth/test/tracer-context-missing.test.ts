import { httpApiEvent, lambdaContext, localTraceId } from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import { coldStartHandler, lambdaSandbox } from './tracer-env.js'

// The X-Ray SDK told to throw when it has no trace context, one of its documented strategies.
const sandbox = lambdaSandbox('jwt-auth-context-missing-test', {
	AWS_XRAY_CONTEXT_MISSING: 'RUNTIME_ERROR',
})

/**
 * Without the tracer's own HTTP instrumentation, which would throw in the same way for any request
 * made outside an invocation, only Tenantry's calls into the tracer run there. With it, as
 * Powertools builds the Tracer by default, the X-Ray SDK instruments every node:http(s) request,
 * the untraced prefetch's included, and throws for it outside an invocation: the issuer is up, so
 * the prefetch's failure must not hold back the first requests with a backoff (503).
 *
 * In this order: the instrumentation patches node:http(s) for the rest of the process, so the
 * case without it must run first, before any Tracer has captured HTTP(S) requests.
 */
describe.each([
	{ captureHTTPsRequests: false, tracer: 'a Tracer without HTTP capture' },
	{ captureHTTPsRequests: true, tracer: 'the default Tracer' },
])('X-Ray with AWS_XRAY_CONTEXT_MISSING=RUNTIME_ERROR and $tracer', ({ captureHTTPsRequests }) => {
	it('the cold-start JWKS prefetch does not turn the first requests into 503s', async () => {
		sandbox.idp.resetCalls()
		const { handler } = await coldStartHandler(sandbox.idp, { captureHTTPsRequests })

		// The first invocation: the runtime sets its trace header.
		process.env._X_AMZN_TRACE_ID = `Root=${localTraceId};Parent=53995c3f42cd8ad8;Sampled=1`
		const token = await sandbox.idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' })
		const event = httpApiEvent({ headers: { authorization: `Bearer ${token}` } })
		expect(await handler(event as never, lambdaContext())).toMatchObject({ statusCode: 200 })
		expect(sandbox.idp.jwksCalls()).toBe(1)
	})
})
