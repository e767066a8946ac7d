import { albEvent, lambdaContext } from '@tenantry/testing'
import type { ALBEvent, ALBResult } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { oneRequestAMinute } from './one-a-minute.js'

describe('tenantRateLimit behind an ALB target group with multi-value headers', () => {
	it('reports its fields in multiValueHeaders on 200 and 429, and Retry-After on 429', async () => {
		const handler = oneRequestAMinute<ALBEvent, ALBResult>(async () => ({
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
		const handler = oneRequestAMinute<ALBEvent, ALBResult>(async () => ({
			statusCode: 200,
			body: 'ok',
		}))
		const allowed = await handler(albEvent(), lambdaContext())
		expect(allowed.headers).toMatchObject({ 'RateLimit-Limit': '1' })
		expect(allowed).not.toHaveProperty('multiValueHeaders')
	})
})
