import { albEvent, httpApiEvent, lambdaContext, restApiEvent } from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import { pipeline } from './harness.js'

/**
 * Review findings: match.header read `multiValueHeaders` and, only when that held no string line
 * for the name, `headers` (getHeader's order). A hand-made event (a direct invocation, as in
 * header-types.test.ts) could then name another tenant where a handler reads it
 * (`event.headers['x-tenant-id']`, the usual way) and still be served for the authenticated
 * tenant: two tenants in one request. A non-string line next to a string one was read as naming
 * nothing, where a query parameter's is refused. Each case failed with a 200.
 */
const run = async (event: unknown) => {
	const { handler, seen, violations } = pipeline(
		{ match: { header: 'x-tenant-id', query: 'tenant' } },
		{ auth: 'acme' },
	)
	const response = await handler(event, lambdaContext())
	return { status: response.statusCode, seen, violations }
}

describe('match.header reads every record and spelling of the header', () => {
	it('refuses headers naming another tenant than multiValueHeaders', async () => {
		const event = {
			...restApiEvent(),
			headers: { 'x-tenant-id': 'globex' },
			multiValueHeaders: { 'x-tenant-id': ['acme'] },
		}
		const { status, seen, violations } = await run(event)
		expect(status).toBe(403)
		expect(seen).toEqual([])
		expect(violations).toEqual([
			expect.objectContaining({
				code: 'tenant_mismatch',
				source: 'header',
				claimedTenant: 'globex',
			}),
		])
	})

	it('refuses a payload 2.0 event whose multiValueHeaders name another tenant than its headers', async () => {
		// API Gateway never adds multiValueHeaders to a 2.0 event, a hand-made one may: the lower-case
		// headers line alone is not the whole answer then.
		const event = { ...httpApiEvent({ headers: { 'x-tenant-id': 'acme' } }) }
		const { status, seen } = await run({
			...event,
			multiValueHeaders: { 'x-tenant-id': ['globex'] },
		})
		expect(event.version).toBe('2.0')
		expect(status).toBe(403)
		expect(seen).toEqual([])
	})

	it('refuses a non-string line next to a string one, as a query parameter does', async () => {
		const header = {
			...restApiEvent(),
			headers: {},
			multiValueHeaders: { 'x-tenant-id': ['acme', ['globex']] },
		}
		const query = {
			...restApiEvent(),
			multiValueQueryStringParameters: { tenant: ['acme', ['globex']] },
		}
		expect((await run(query)).status).toBe(403)
		expect((await run(header)).status).toBe(403)
		const singleValue = {
			...albEvent(),
			headers: { 'x-tenant-id': 'acme', 'X-Tenant-Id': ['globex'] },
		}
		expect((await run(singleValue)).status).toBe(403)
	})

	it('still serves the tenant when every record names it', async () => {
		for (const event of [
			restApiEvent({ headers: { 'X-Tenant-Id': 'acme' } }),
			httpApiEvent({ headers: { 'x-tenant-id': 'acme' } }),
			albEvent({ headers: { 'x-tenant-id': 'acme' }, multiValue: true }),
			albEvent({ headers: { 'x-tenant-id': 'acme' } }),
		]) {
			const { status, seen } = await run(event)
			expect(status).toBe(200)
			expect(seen.map((tenant) => tenant.id)).toEqual(['acme'])
		}
	})
})
