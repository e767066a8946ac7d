import { albEvent, lambdaContext } from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import { pipeline } from './harness.js'

/**
 * An Application Load Balancer passes query parameters to Lambda as sent, names included ("If
 * the query parameters are URL-encoded, the load balancer does not decode them. You must decode
 * them in your Lambda function", ELB user guide, "Lambda functions as targets"):
 * `?%74enant=globex` is `tenant=globex` to the handler that decodes it.
 */

const run = async (event: unknown, required = false) => {
	const { handler, seen, violations } = pipeline(
		{ match: { query: 'tenant', required } },
		{ auth: 'acme' },
	)
	const response = await handler(event, lambdaContext())
	return { response, seen, violations }
}

describe('ALB query parameters, URL-encoded names and values included', () => {
	it.each([
		['single-value target group', false],
		['multi-value target group', true],
	])('%s: tenant=globex with the name percent-encoded is a 403', async (_name, multiValue) => {
		const event = albEvent({ method: 'GET', path: '/orders?%74enant=globex', multiValue })
		const { response, seen, violations } = await run(event)
		expect(response.statusCode).toBe(403)
		expect(seen).toEqual([])
		expect(violations).toEqual([
			expect.objectContaining({ code: 'tenant_mismatch', tenant: 'acme', source: 'query' }),
		])
	})

	it('multi-value target group: acme and an encoded globex copy, with the query required, is a 403', async () => {
		const event = albEvent({
			method: 'GET',
			path: '/orders?tenant=acme&%74enant=globex',
			multiValue: true,
		})
		// What the handler gets once it decodes the parameters, as the ELB guide says it must.
		const decoded = Object.entries(event.multiValueQueryStringParameters ?? {}).flatMap(
			([name, values]) => (decodeURIComponent(name) === 'tenant' ? values : []),
		)
		expect(decoded).toEqual(['acme', 'globex'])
		const { response, seen } = await run(event, true)
		expect(response.statusCode).toBe(403)
		expect(seen).toEqual([])
	})

	it('multi-value target group: null entries are absent values, and a value that is no string matches no tenant', async () => {
		// An event rebuilt by a proxy or a test tool may hold them.
		const event = albEvent({ method: 'GET', path: '/orders?tenant=acme', multiValue: true })
		event.multiValueQueryStringParameters = { tenant: [null, 'acme', null] as never }
		const { response, seen, violations } = await run(event, true)
		expect(response.statusCode).toBe(200)
		expect(seen).toHaveLength(1)
		expect(violations).toEqual([])
		// A value that is no string is not decoded into one: it names no tenant it could match.
		event.multiValueQueryStringParameters = { tenant: [new String('acme')] as never }
		const other = await run(event, true)
		expect(other.response.statusCode).toBe(403)
		expect(other.seen).toEqual([])
		expect(other.violations).toEqual([
			expect.objectContaining({ code: 'tenant_mismatch', tenant: 'acme', source: 'query' }),
		])
	})

	it('multi-value target group: a repeated name, acme then globex, is a 403 (every value is read)', async () => {
		const event = albEvent({
			method: 'GET',
			path: '/orders?tenant=acme&tenant=globex',
			multiValue: true,
		})
		expect(event.multiValueQueryStringParameters).toEqual({ tenant: ['acme', 'globex'] })
		const { response, seen } = await run(event)
		expect(response.statusCode).toBe(403)
		expect(seen).toEqual([])
	})

	it('a hand-made event with both query records: globex in the single-value one is a 403', async () => {
		// A real ALB fills one record; a direct invocation may fill both, and a handler may read either.
		const event = {
			...albEvent({ method: 'GET', path: '/orders?tenant=acme', multiValue: true }),
			queryStringParameters: { tenant: 'globex' },
		}
		const { response, seen } = await run(event)
		expect(response.statusCode).toBe(403)
		expect(seen).toEqual([])
	})

	it.each(['/orders?tenant=acme', '/orders?%74enant=%61cme', '/orders?tenant=acme&tenant=%61cme'])(
		'the same tenant, however encoded, passes: %s',
		async (path) => {
			const { response, seen } = await run(albEvent({ path, multiValue: true }), true)
			expect(response.statusCode).toBe(200)
			expect(seen.map((tenant) => tenant.id)).toEqual(['acme'])
		},
	)

	it.each(['/orders?tenant=acme+', '/orders?tenant=%61cme%'])(
		'a value that decodes to another text, or not at all, is refused: %s',
		async (path) => {
			const { response, seen } = await run(albEvent({ path, multiValue: true }), true)
			expect(response.statusCode).toBe(403)
			expect(seen).toEqual([])
		},
	)
})
