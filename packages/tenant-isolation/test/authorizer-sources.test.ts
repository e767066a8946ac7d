import {
	albEvent,
	functionUrlEvent,
	httpApiEvent,
	lambdaContext,
	restApiEvent,
} from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import { pipeline } from './harness.js'

/**
 * Each tenant source against the shapes AWS delivers it in: a REST Lambda authorizer's context
 * with every value a string next to `principalId` and `integrationLatency`, an HTTP API JWT
 * authorizer's claims as strings (arrays as `[a b]`), an HTTP API Lambda authorizer's context
 * with its JSON types, and ALB and Function URL events with no authorizer at all.
 */

const withAuthorizer = (event: object, authorizer: unknown): object => {
	const { requestContext } = event as { requestContext: object }
	return { ...event, requestContext: { ...requestContext, authorizer } }
}

describe('values as AWS delivers them', () => {
	it.each([
		['a JWT array claim of two tenants', { 'custom:tenant_id': ['acme', 'globex'] }],
		['a JWT array claim of one tenant', { 'custom:tenant_id': ['acme'] }],
		['a JWT object claim', { 'custom:tenant_id': '{id=acme}' }],
	])('%s arrives as a string and is refused, not read as acme', async (_name, claims) => {
		const { handler, seen, violations } = pipeline()
		const response = await handler(
			httpApiEvent({ authorizer: { jwt: { claims } } }),
			lambdaContext(),
		)
		expect(response.statusCode).toBe(403)
		expect(seen).toEqual([])
		expect(violations).toEqual([
			expect.objectContaining({ code: 'tenant_id_invalid', source: 'httpJwtAuthorizer' }),
		])
	})

	it('refuses a Cognito claim listing tenants as REST API passes it ("[acme, globex]", "acme,globex")', async () => {
		const { handler } = pipeline()
		for (const listed of ['[acme, globex]', 'acme,globex', 'acme globex']) {
			const event = restApiEvent({ authorizer: { cognito: { 'custom:tenant_id': listed } } })
			await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 403 })
		}
	})

	it("never reads a REST Lambda authorizer's principalId as the tenant unless asked to", async () => {
		const event = restApiEvent({ authorizer: { lambda: { principalId: 'acme' } } })
		const { handler, seen } = pipeline()
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 401 })
		expect(seen).toEqual([])
		const asked = pipeline({ authorizerField: 'principalId' })
		await expect(asked.handler(event, lambdaContext())).resolves.toMatchObject({ body: 'acme' })
	})

	it('reads the number a REST Lambda authorizer returned as the string API Gateway made of it', async () => {
		const event = restApiEvent({ authorizer: { lambda: { tenant_id: 1234 } } })
		const { handler } = pipeline({}, { auth: '1234' })
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({
			statusCode: 200,
			body: '1234',
		})
	})

	it('refuses the same number from an HTTP API Lambda authorizer, which keeps JSON types', async () => {
		const event = httpApiEvent({ authorizer: { lambda: { tenant_id: 1234 } } })
		const { handler } = pipeline({}, { auth: '1234' })
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 403 })
	})
})

describe('look-alikes on either side of the comparison', () => {
	it.each([
		['upper case', 'ACME'],
		['a trailing newline', 'acme\n'],
		['a trailing space', 'acme '],
		['a leading tab', '\tacme'],
		['fullwidth letters', 'ａｃｍｅ'],
		['a zero-width space', 'acme\u200b'],
		['a combining mark', 'acme\u0301'],
	])('an authorizer naming acme with %s: 403', async (_name, value) => {
		const { handler, seen } = pipeline({}, { auth: 'acme' })
		for (const event of [
			restApiEvent({ authorizer: { lambda: { tenant_id: value } } }),
			restApiEvent({ authorizer: { cognito: { 'custom:tenant_id': value } } }),
			httpApiEvent({ authorizer: { lambda: { tenant_id: value } } }),
			httpApiEvent({ authorizer: { jwt: { claims: { 'custom:tenant_id': value } } } }),
		]) {
			await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 403 })
		}
		expect(seen).toEqual([])
	})

	it.each([
		['upper case', 'ACME'],
		['a trailing newline', 'acme\n'],
		['fullwidth letters', 'ａｃｍｅ'],
	])('a path, header, query or body naming acme with %s: 403', async (_name, value) => {
		const match = { pathParameter: 'tenantId', header: 'x-tenant-id', query: 'tenant' }
		const { handler } = pipeline({ match }, { auth: 'acme' })
		for (const event of [
			restApiEvent({ pathParameters: { tenantId: value } }),
			restApiEvent({ headers: { 'X-Tenant-Id': value } }),
			restApiEvent({ query: { tenant: value } }),
			httpApiEvent({ headers: { 'x-tenant-id': value } }),
		]) {
			await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 403 })
		}
	})
})

describe('shapes that do not mix', () => {
	it('refuses an event whose REST and HTTP API authorizer fields name different tenants', async () => {
		const event = withAuthorizer(restApiEvent(), {
			tenant_id: 'acme',
			lambda: { tenant_id: 'globex' },
			claims: { 'custom:tenant_id': 'acme' },
			jwt: { claims: { 'custom:tenant_id': 'acme' } },
		})
		const { handler, violations } = pipeline()
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 403 })
		expect(violations).toEqual([
			expect.objectContaining({
				code: 'tenant_sources_disagree',
				tenant: 'acme',
				claimedTenant: 'globex',
				source: 'httpLambdaAuthorizer',
			}),
		])
	})

	it("does not read a REST Lambda authorizer's string field as a Cognito or HTTP API claim set", async () => {
		// REST API flattens the context and stringifies it: a field named `claims` is text.
		const event = withAuthorizer(restApiEvent(), {
			principalId: 'user',
			integrationLatency: 0,
			claims: '{"custom:tenant_id":"acme"}',
			lambda: '{"tenant_id":"acme"}',
			jwt: '{"claims":{"custom:tenant_id":"acme"}}',
		})
		const { handler } = pipeline()
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 401 })
	})

	it('reads nothing from an HTTP API payload 1.0 event without a JWT authorizer (claims: null)', async () => {
		const event = {
			...withAuthorizer(restApiEvent(), { claims: null, scopes: null }),
			version: '1.0',
		}
		const { handler } = pipeline()
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 401 })
	})

	it('reads prototype-named keys of an authorizer context as the own fields they are, never the prototype', async () => {
		const context = JSON.parse(
			'{"lambda":{"__proto__":{"tenant_id":"globex"},"constructor":{"tenant_id":"globex"}}}',
		)
		const { handler } = pipeline({}, { auth: 'acme' })
		await expect(
			handler(withAuthorizer(httpApiEvent(), context), lambdaContext()),
		).resolves.toMatchObject({ statusCode: 200, body: 'acme' })
		const asField = pipeline({ authorizerField: '__proto__' }, { auth: 'acme' })
		await expect(
			asField.handler(
				withAuthorizer(httpApiEvent(), JSON.parse('{"lambda":{"__proto__":"globex"}}')),
				lambdaContext(),
			),
		).resolves.toMatchObject({ statusCode: 403 })
	})
})

describe('what the client controls is never a source', () => {
	it.each([
		[
			'a header named like the authorizer field',
			{ headers: { tenant_id: 'acme', 'custom:tenant_id': 'acme' } },
		],
		['a query named like it', { query: { tenant_id: 'acme' } }],
		[
			'a body shaped like a request context',
			{
				body: {
					requestContext: { authorizer: { tenant_id: 'acme', lambda: { tenant_id: 'acme' } } },
				},
			},
		],
	])('%s names no tenant (401)', async (_name, spec) => {
		const { handler, seen } = pipeline({}, { parseBody: 'body' in spec })
		for (const event of [
			httpApiEvent(spec),
			restApiEvent(spec),
			functionUrlEvent(spec),
			albEvent(spec),
		]) {
			await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 401 })
		}
		expect(seen).toEqual([])
	})

	it("never reads an ALB's x-amzn-oidc-data (an unverified JWT to the function) as a tenant", async () => {
		const claims = Buffer.from(JSON.stringify({ 'custom:tenant_id': 'acme', tenant_id: 'acme' }))
		const token = `e30.${claims.toString('base64url')}.`
		const { handler, seen } = pipeline()
		for (const multiValue of [false, true]) {
			const event = albEvent({ headers: { 'x-amzn-oidc-data': token }, multiValue })
			await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 401 })
		}
		expect(seen).toEqual([])
	})

	it("never reads a Function URL's IAM authorizer identity as a tenant", async () => {
		const event = withAuthorizer(functionUrlEvent(), {
			iam: { userId: 'acme', callerId: 'acme', accountId: '000000000000', tenant_id: 'acme' },
		})
		const { handler } = pipeline()
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 401 })
	})
})
