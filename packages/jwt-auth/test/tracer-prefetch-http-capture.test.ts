import {
	httpApiEvent,
	type LocalIdentityProvider,
	lambdaContext,
	localTraceId,
	startIdentityProvider,
	startXrayCapture,
	type XrayCapture,
} from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const savedEnv = { ...process.env }
let capture: XrayCapture
let idp: LocalIdentityProvider

beforeAll(async () => {
	;[capture, idp] = await Promise.all([startXrayCapture(), startIdentityProvider()])
	// A Lambda sandbox during init (no _X_AMZN_TRACE_ID yet), with the X-Ray SDK told to throw
	// when it has no trace context, one of its documented strategies.
	const env = capture.lambdaEnv('jwt-auth-context-missing-test')
	delete env._X_AMZN_TRACE_ID
	delete process.env._X_AMZN_TRACE_ID
	Object.assign(process.env, env, { AWS_XRAY_CONTEXT_MISSING: 'RUNTIME_ERROR' })
})
afterAll(async () => {
	await Promise.all([capture.stop(), idp.stop()])
	for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
	Object.assign(process.env, savedEnv)
})

/**
 * As tracer-context-missing.test.ts, with the Tracer as Powertools builds it by default
 * (`captureHTTPsRequests: true`): the X-Ray SDK then instruments every node:http(s) request, the
 * untraced prefetch's included, and throws for it outside an invocation. The issuer is up; the
 * prefetch's failure must not hold back the first requests with a backoff (503).
 */
describe('X-Ray with AWS_XRAY_CONTEXT_MISSING=RUNTIME_ERROR and the default Tracer', () => {
	it('the cold-start JWKS prefetch does not turn the first requests into 503s', async () => {
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const { default: middy } = await import('@middy/core')
		const { default: httpErrorHandler } = await import('@middy/http-error-handler')
		const { jwtAuth } = await import('../src/index.js')
		// The default: HTTP(S) requests captured.
		const tracer = new Tracer()
		idp.resetCalls()
		const handler = middy()
			.use(httpErrorHandler({ logger: false }))
			.use(captureLambdaHandler(tracer))
			.use(jwtAuth({ issuers: { issuer: idp.issuer, audience: 'api' }, tracer }))
			.handler(async () => ({ statusCode: 200 }))
		await new Promise((resolve) => setImmediate(resolve))

		// The first invocation: the runtime sets its trace header.
		process.env._X_AMZN_TRACE_ID = `Root=${localTraceId};Parent=53995c3f42cd8ad8;Sampled=1`
		const token = await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' })
		const event = httpApiEvent({ headers: { authorization: `Bearer ${token}` } })
		expect(await handler(event as never, lambdaContext())).toMatchObject({ statusCode: 200 })
		expect(idp.jwksCalls()).toBe(1)
	})
})
