import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { albEvent, lambdaContext } from '@tenantry/testing'
import { albMultiValueHeaders, createTenantContext, type WithTenant } from '@tenantry/util'
import type { ALBEvent, ALBResult, Context } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'

const acme = createTenantContext('acme')
/** A fixed clock: on the system's, a minute could end between the two requests of a test. */
const now = () => Date.UTC(2026, 10, 23, 10, 0, 0)

/** An ALB target group with multi-value headers on reads only `multiValueHeaders` back. */
const albPipeline = (handler: () => Promise<ALBResult>) =>
	middy<ALBEvent, ALBResult, Error, Context & WithTenant>()
		.use(albMultiValueHeaders())
		.use(httpErrorHandler({ logger: false }))
		.use({
			before: (request) => {
				request.context.tenant = acme
			},
		})
		.use(
			tenantRateLimit({
				limits: { requests: 1, windowSec: 60 },
				store: memoryRateLimitStore(),
				now,
			}),
		)
		.handler(handler)

describe('tenantRateLimit behind an ALB target group with multi-value headers', () => {
	it('reports its fields in multiValueHeaders on 200 and 429, and Retry-After on 429', async () => {
		const handler = albPipeline(async () => ({
			statusCode: 200,
			headers: { 'Content-Type': 'text/plain' },
			body: 'ok',
		}))
		const event = albEvent({ multiValue: true })
		const allowed = await handler(event, lambdaContext())
		const limited = await handler(event, lambdaContext())

		expect(allowed).not.toHaveProperty('headers')
		expect(allowed.multiValueHeaders).toMatchObject({
			'Content-Type': ['text/plain'],
			'RateLimit-Limit': ['1'],
			'RateLimit-Remaining': ['0'],
		})
		expect(limited.statusCode).toBe(429)
		expect(limited).not.toHaveProperty('headers')
		expect(limited.multiValueHeaders).toMatchObject({
			'Retry-After': [expect.stringMatching(/^\d+$/)],
			'RateLimit-Remaining': ['0'],
		})
	})

	it('keeps a single-value ALB answer in headers', async () => {
		const handler = albPipeline(async () => ({ statusCode: 200, body: 'ok' }))
		const allowed = await handler(albEvent(), lambdaContext())
		expect(allowed.headers).toMatchObject({ 'RateLimit-Limit': '1' })
		expect(allowed).not.toHaveProperty('multiValueHeaders')
	})
})
