import {
	httpApiEvent,
	type LocalIdentityProvider,
	lambdaContext,
	startIdentityProvider,
	startXrayCapture,
	type XrayCapture,
} from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let capture: XrayCapture
let idp: LocalIdentityProvider

beforeAll(async () => {
	;[capture, idp] = await Promise.all([startXrayCapture(), startIdentityProvider()])
	// The X-Ray SDK reads these when the tracer is imported, as in a Lambda sandbox.
	Object.assign(process.env, capture.lambdaEnv('jwt-auth-test'))
})
afterAll(() => Promise.all([capture.stop(), idp.stop()]))

describe('X-Ray', () => {
	it('records the JWKS fetch as a subsegment of the handler and annotates the tenant', async () => {
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const { default: middy } = await import('@middy/core')
		const { default: httpErrorHandler } = await import('@middy/http-error-handler')
		const { jwtAuth } = await import('../src/index.js')
		const tracer = new Tracer()
		const handler = middy()
			.use(captureLambdaHandler(tracer))
			.use(httpErrorHandler({ logger: false }))
			.use(jwtAuth({ issuers: { issuer: idp.issuer, audience: 'api' }, tracer, prefetch: false }))
			.handler(async () => ({ statusCode: 200 }))

		const token = await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' })
		const event = httpApiEvent({ headers: { authorization: `Bearer ${token}` } })
		const response = await handler(event as never, lambdaContext())
		expect(response).toMatchObject({ statusCode: 200 })

		const jwksName = `JWKS ${new URL(idp.issuer).host}`
		const segments = await capture.waitFor((all) => all.some((s) => s.name === '## index.handler'))
		const handlerSegment = segments.find((s) => s.name === '## index.handler')
		const jwksSegment = segments.find((s) => s.name === jwksName)
		expect(handlerSegment?.annotations).toMatchObject({ tenant_id: 'acme' })
		expect(jwksSegment).toBeDefined()
		expect(jwksSegment?.parent_id).toBe(handlerSegment?.id)
		expect(jwksSegment?.end_time).toBeGreaterThanOrEqual(jwksSegment?.start_time ?? Number.NaN)
		expect(JSON.stringify(segments)).not.toContain(token.split('.')[2])
	})

	it('prefetches outside any handler segment without failing the first request', async () => {
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const { default: middy } = await import('@middy/core')
		const { default: httpErrorHandler } = await import('@middy/http-error-handler')
		const { jwtAuth } = await import('../src/index.js')
		const tracer = new Tracer()
		idp.resetCalls()
		const middleware = jwtAuth({ issuers: { issuer: idp.issuer, audience: 'api' }, tracer })
		const handler = middy()
			.use(captureLambdaHandler(tracer))
			.use(httpErrorHandler({ logger: false }))
			.use(middleware)
			.handler(async () => ({ statusCode: 200 }))
		const token = await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' })
		const event = httpApiEvent({ headers: { authorization: `Bearer ${token}` } })
		expect(await handler(event as never, lambdaContext())).toMatchObject({
			statusCode: 200,
		})
		expect(idp.jwksCalls()).toBe(1)
	})
})
