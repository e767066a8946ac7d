import { lambdaContext, restApiEvent } from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import { pipeline } from './harness.js'

/**
 * A location that names a non-string value is refused (403), a header too: a hand-made event
 * (a direct invocation) may carry one, which must not read as naming nothing.
 */
describe('a non-string header value at match.header', () => {
	it('is refused like a non-string path parameter, query value or body field', async () => {
		const { handler, seen, violations } = pipeline(
			{ match: { header: 'x-tenant-id' } },
			{ auth: 'acme' },
		)
		const event = {
			...restApiEvent(),
			headers: { 'x-tenant-id': ['globex'] },
			multiValueHeaders: { 'x-tenant-id': [['globex']] },
		}
		const response = await handler(event, lambdaContext())
		expect(response.statusCode).toBe(403)
		expect(seen).toEqual([])
		expect(violations).toEqual([
			expect.objectContaining({ code: 'tenant_mismatch', source: 'header' }),
		])
	})
})
