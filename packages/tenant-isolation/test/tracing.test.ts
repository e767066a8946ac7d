import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, lambdaContext, startXrayCapture, type XrayCapture } from '@tenantry/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { tenantIsolation } from '../src/index.js'
import { asLambda } from './harness.js'

let capture: XrayCapture

beforeAll(async () => {
	capture = await startXrayCapture()
	// Read by the X-Ray SDK when the tracer is imported, as in a Lambda sandbox.
	Object.assign(process.env, capture.lambdaEnv('tenant-isolation-test'))
})
afterAll(() => capture.stop())

/**
 * Behind an API Gateway Lambda authorizer no Tenantry authentication middleware runs, so only
 * tenantIsolation can put the tenant on the trace; a refused cross-tenant attempt is marked too.
 */
it('annotates tenant_id once the tenant is established, and tenant_violation on a refusal', async () => {
	const { Tracer } = await import('@aws-lambda-powertools/tracer')
	const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
	const tracer = new Tracer()
	const handler = asLambda(
		middy(async () => ({ statusCode: 200, body: 'ok' }))
			.use(captureLambdaHandler(tracer))
			.use(httpErrorHandler({ logger: false }))
			.use(
				tenantIsolation({ match: { pathParameter: 'tenantId' }, tracer, onViolation: () => {} }),
			),
	)
	const request = (tenantInPath: string) =>
		handler(
			httpApiEvent({
				path: `/tenants/${tenantInPath}/items`,
				pathParameters: { tenantId: tenantInPath },
				authorizer: { lambda: { tenant_id: 'acme' } },
			}),
			lambdaContext(),
		)
	expect((await request('acme')).statusCode).toBe(200)
	expect((await request('globex')).statusCode).toBe(403)
	const segments = await capture.waitFor(
		(all) => all.filter((s) => s.name === '## index.handler').length >= 2,
	)
	const annotations = segments
		.filter((s) => s.name === '## index.handler')
		.map((s) => s.annotations ?? {})
	expect(annotations).toEqual([
		expect.objectContaining({ tenant_id: 'acme' }),
		expect.objectContaining({ tenant_violation: 'tenant_mismatch' }),
	])
	expect(annotations[1]).not.toHaveProperty('tenant_id')
})

it('refuses a tracer that is not a Powertools Tracer when built', () => {
	expect(() => tenantIsolation({ tracer: {} as never })).toThrow(/option 'tracer'/)
})
