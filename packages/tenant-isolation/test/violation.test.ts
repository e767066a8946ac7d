import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { TenantContext } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { assertTenantAccess, type TenantViolation, tenantIsolation } from '../src/index.js'
import { asLambda, pipeline, testAuth } from './harness.js'

afterEach(() => {
	vi.restoreAllMocks()
})

const mismatch = () =>
	httpApiEvent({
		method: 'DELETE',
		path: '/tenants/globex/orders/1',
		pathParameters: { tenantId: 'globex' },
		headers: { authorization: 'Bearer secret-token', cookie: 'session=s3cret' },
		requestId: 'req-1',
	})

describe('onViolation', () => {
	it('clips the path and method a client chose before they reach the report', async () => {
		// Both are attacker-chosen text: a report (a log line, an alarm) stays bounded.
		const { handler, violations } = pipeline(
			{ match: { pathParameter: 'tenantId' } },
			{ auth: 'acme' },
		)
		const long = `/${'a'.repeat(300)}`
		await handler(
			httpApiEvent({ method: 'X'.repeat(300), path: long, pathParameters: { tenantId: 'globex' } }),
			lambdaContext(),
		)
		expect(violations).toMatchObject([
			{ code: 'tenant_mismatch', path: `${long.slice(0, 128)}…`, method: `${'X'.repeat(128)}…` },
		])
	})

	it('reads a resolve that answers null as no tenant named, not as an invalid one', async () => {
		// null is "this request names none": 401 like any request without a tenant, no violation.
		const { handler, violations } = pipeline({ resolve: () => null })
		await expect(handler(httpApiEvent(), lambdaContext())).resolves.toMatchObject({
			statusCode: 401,
		})
		expect(violations).toEqual([])
	})

	it('receives exactly the documented fields', async () => {
		const onViolation = vi.fn()
		const { handler } = pipeline(
			{ onViolation, match: { pathParameter: 'tenantId' } },
			{ auth: 'acme' },
		)
		await handler(mismatch(), lambdaContext())
		expect(onViolation).toHaveBeenCalledTimes(1)
		expect(onViolation.mock.calls[0]?.[0]).toStrictEqual({
			code: 'tenant_mismatch',
			tenant: 'acme',
			claimedTenant: 'globex',
			source: 'pathParameter',
			requestId: 'req-1',
			path: '/tenants/globex/orders/1',
			method: 'DELETE',
		} satisfies TenantViolation)
	})

	it('logs one JSON line by default, without tokens, cookies or bodies', async () => {
		const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
		const handler = asLambda(
			middy(async () => ({ statusCode: 200 }))
				.use(httpErrorHandler({ logger: false }))
				.use(testAuth(() => 'acme'))
				.use(tenantIsolation({ match: { pathParameter: 'tenantId' } })),
		)
		const response = await handler(mismatch(), lambdaContext())
		expect(response.statusCode).toBe(403)
		expect(warn).toHaveBeenCalledTimes(1)
		const line = String(warn.mock.calls[0]?.[0])
		expect(JSON.parse(line)).toStrictEqual({
			level: 'WARN',
			message: 'tenant isolation violation',
			code: 'tenant_mismatch',
			tenant: 'acme',
			claimedTenant: 'globex',
			source: 'pathParameter',
			requestId: 'req-1',
			path: '/tenants/globex/orders/1',
			method: 'DELETE',
		})
		expect(line).not.toMatch(/secret|s3cret|Bearer/)
	})

	it('clips attacker-chosen values and keeps them on one line', async () => {
		const { handler, violations } = pipeline({ match: { header: 'x-tenant-id' } }, { auth: 'acme' })
		const long = `globex\n{"level":"INFO"}${'x'.repeat(5_000)}`
		await handler(httpApiEvent({ headers: { 'x-tenant-id': long } }), lambdaContext())
		expect(violations[0]?.claimedTenant).toHaveLength(129)
		const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
		const logged = pipeline(
			{ match: { header: 'x-tenant-id' }, onViolation: undefined },
			{ auth: 'acme' },
		)
		await logged.handler(httpApiEvent({ headers: { 'x-tenant-id': long } }), lambdaContext())
		expect(String(warn.mock.calls[0]?.[0]).split('\n')).toHaveLength(1)
	})

	it('is called for every kind of violation, never for a missing tenant', async () => {
		const { handler, violations } = pipeline(
			{ match: { pathParameter: 'tenantId', required: true } },
			{ auth: (event) => (event as { tenant?: string }).tenant },
		)
		const context = () => lambdaContext()
		await handler({ ...httpApiEvent(), tenant: 'acme#x' }, context())
		await handler(
			{ ...httpApiEvent({ authorizer: { lambda: { tenant_id: 'globex' } } }), tenant: 'acme' },
			context(),
		)
		await handler(
			{ ...httpApiEvent({ pathParameters: { tenantId: 'globex' } }), tenant: 'acme' },
			context(),
		)
		await handler({ ...httpApiEvent(), tenant: 'acme' }, context())
		await handler(httpApiEvent(), context())
		expect(violations.map((v) => v.code)).toEqual([
			'tenant_id_invalid',
			'tenant_sources_disagree',
			'tenant_mismatch',
			'tenant_reference_missing',
		])
	})

	it('cannot change the answer by throwing or rejecting', async () => {
		const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
		for (const onViolation of [
			() => {
				throw new Error('audit sink down')
			},
			() => Promise.reject(new Error('audit sink down')),
		]) {
			const { handler } = pipeline(
				{ onViolation, match: { pathParameter: 'tenantId' } },
				{ auth: 'acme' },
			)
			await expect(handler(mismatch(), lambdaContext())).resolves.toMatchObject({ statusCode: 403 })
		}
		await new Promise((resolve) => setImmediate(resolve))
		expect(error).toHaveBeenCalledTimes(2)
		expect(String(error.mock.calls[0]?.[0])).not.toMatch(/audit sink/)
	})
})

describe('assertTenantAccess', () => {
	const ownerCheck = (owner: unknown) => {
		const violations: TenantViolation[] = []
		const handler = middy(async (_event: unknown, context: Context & { tenant: TenantContext }) => {
			assertTenantAccess(context, owner)
			return { statusCode: 200 }
		})
			.use(httpErrorHandler({ logger: false }))
			.use(testAuth(() => 'acme'))
			.use(tenantIsolation({ onViolation: (v) => void violations.push(v) }))
		return { handler: asLambda(handler), violations }
	}

	it('lets the owner through', async () => {
		const { handler, violations } = ownerCheck('acme')
		await expect(handler(httpApiEvent(), lambdaContext())).resolves.toMatchObject({
			statusCode: 200,
		})
		expect(violations).toEqual([])
	})

	it.each([['globex'], [undefined], [null], [''], ['ACME']])(
		'refuses owner %j with 403 and reports it to the middleware onViolation',
		async (owner) => {
			const { handler, violations } = ownerCheck(owner)
			const response = await handler(
				httpApiEvent({ method: 'GET', path: '/orders/9', requestId: 'req-9' }),
				lambdaContext(),
			)
			expect(response).toMatchObject({ statusCode: 403, body: 'Forbidden' })
			expect(violations).toEqual([
				{
					code: 'tenant_access_denied',
					tenant: 'acme',
					claimedTenant: owner ?? undefined,
					source: 'resource',
					requestId: 'req-9',
					path: '/orders/9',
					method: 'GET',
				},
			])
		},
	)

	it('clips the path, method and owner of a refused resource like every other report', async () => {
		// The path and method are the client's text, the owner may be a resource's: the report stays bounded.
		const owner = 'o'.repeat(300)
		const { handler, violations } = ownerCheck(owner)
		const long = `/${'a'.repeat(300)}`
		await expect(
			handler(httpApiEvent({ method: 'X'.repeat(300), path: long }), lambdaContext()),
		).resolves.toMatchObject({ statusCode: 403 })
		expect(violations).toMatchObject([
			{
				code: 'tenant_access_denied',
				claimedTenant: `${owner.slice(0, 128)}…`,
				path: `${long.slice(0, 128)}…`,
				method: `${'X'.repeat(128)}…`,
			},
		])
	})

	it('throws a 403 for a tenant context built elsewhere, and a misconfigured 500 without one', async () => {
		const { createTenantContext } = await import('@tenantry/util')
		expect(() => assertTenantAccess({ tenant: createTenantContext('acme') }, 'globex')).toThrow(
			expect.objectContaining({ statusCode: 403 }),
		)
		// The owner must be the tenant id itself: a value that merely prints as it (an item's list
		// or set of owners) is another owner.
		for (const owner of [['acme'], new String('acme'), { toString: () => 'acme' }])
			expect(() => assertTenantAccess({ tenant: createTenantContext('acme') }, owner)).toThrow(
				expect.objectContaining({ statusCode: 403 }),
			)
		expect(() => assertTenantAccess({}, 'acme')).toThrow(
			expect.objectContaining({ statusCode: 500, expose: false }),
		)
	})
})
