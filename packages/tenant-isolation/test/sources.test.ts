import {
	type HttpApiAuthorizer,
	httpApiEvent,
	lambdaContext,
	type RestApiAuthorizer,
	restApiEvent,
} from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import { pipeline } from './harness.js'

const httpWith = (authorizer?: HttpApiAuthorizer) =>
	httpApiEvent({ method: 'GET', path: '/orders', ...(authorizer ? { authorizer } : {}) })
const restWith = (authorizer?: RestApiAuthorizer) =>
	restApiEvent({ method: 'GET', path: '/orders', ...(authorizer ? { authorizer } : {}) })

describe('tenant from each event and authorizer shape', () => {
	it.each([
		['our own auth (context.auth.tenantId)', () => httpWith(), { auth: 'acme' }],
		['REST Lambda authorizer', () => restWith({ lambda: { tenant_id: 'acme' } }), {}],
		[
			'REST Cognito user-pool authorizer',
			() => restWith({ cognito: { 'custom:tenant_id': 'acme' } }),
			{},
		],
		['HTTP API Lambda authorizer', () => httpWith({ lambda: { tenant_id: 'acme' } }), {}],
		[
			'HTTP API JWT authorizer',
			() => httpWith({ jwt: { claims: { 'custom:tenant_id': 'acme' }, scopes: [] } }),
			{},
		],
	] as const)('%s', async (_name, event, harness) => {
		const { handler, seen, violations } = pipeline({}, harness)
		const response = await handler(event(), lambdaContext())
		expect(response).toMatchObject({ statusCode: 200, body: 'acme' })
		expect(seen[0]).toMatchObject({ id: 'acme', keyPrefix: 'TENANT#acme#' })
		expect(seen[0]?.key('order', '42')).toBe('TENANT#acme#order#42')
		expect(violations).toEqual([])
	})

	it("reads an HTTP API JWT authorizer's claims in payload format 1.0 as the cognitoAuthorizer source", async () => {
		const rest = restWith()
		// Payload 1.0 has the REST API's shape, with the JWT authorizer's claims and scopes.
		const event = {
			...rest,
			version: '1.0',
			requestContext: {
				...rest.requestContext,
				authorizer: { claims: { 'custom:tenant_id': 'acme' }, scopes: ['orders/read'] },
			},
		}
		for (const sources of [undefined, ['cognitoAuthorizer'] as const]) {
			const { handler, seen } = pipeline(sources === undefined ? {} : { sources: [...sources] })
			expect(await handler(event, lambdaContext())).toMatchObject({ statusCode: 200, body: 'acme' })
			expect(seen[0]?.id).toBe('acme')
		}
		// The payload 2.0 reader alone finds nothing there, and fails closed.
		const { handler } = pipeline({ sources: ['httpJwtAuthorizer'] })
		expect(await handler(event, lambdaContext())).toMatchObject({ statusCode: 401 })
	})

	it('reads configured field and claim names', async () => {
		const { handler } = pipeline({ authorizerField: 'org', claim: 'org_id' })
		await expect(
			handler(restWith({ lambda: { org: 'acme' } }), lambdaContext()),
		).resolves.toMatchObject({ body: 'acme' })
		await expect(
			handler(httpWith({ jwt: { claims: { org_id: 'acme' } } }), lambdaContext()),
		).resolves.toMatchObject({ body: 'acme' })
		// The default names are no longer read.
		await expect(
			handler(restWith({ lambda: { tenant_id: 'acme' } }), lambdaContext()),
		).resolves.toMatchObject({ statusCode: 401 })
	})

	it('reads a resolve() source, sync or async, after the built-in ones', async () => {
		const fromHeader = pipeline({
			resolve: (event) => event.headers?.['x-org'] ?? undefined,
		})
		await expect(
			fromHeader.handler(httpApiEvent({ headers: { 'x-org': 'acme' } }), lambdaContext()),
		).resolves.toMatchObject({ statusCode: 200, body: 'acme' })
		const asynchronous = pipeline({ resolve: async () => 'acme' }, { auth: 'acme' })
		await expect(asynchronous.handler(httpWith(), lambdaContext())).resolves.toMatchObject({
			statusCode: 200,
		})
		const disagreeing = pipeline({ resolve: async () => 'globex' }, { auth: 'acme' })
		await expect(disagreeing.handler(httpWith(), lambdaContext())).resolves.toMatchObject({
			statusCode: 403,
		})
		expect(disagreeing.violations[0]).toMatchObject({
			code: 'tenant_sources_disagree',
			tenant: 'acme',
			claimedTenant: 'globex',
			source: 'resolve',
		})
	})

	it('checks Lambda tenant isolation mode (context.tenantId) against the others', async () => {
		const { handler, violations } = pipeline({}, { auth: 'acme' })
		await expect(handler(httpWith(), lambdaContext({ tenantId: 'acme' }))).resolves.toMatchObject({
			statusCode: 200,
		})
		await expect(handler(httpWith(), lambdaContext({ tenantId: 'globex' }))).resolves.toMatchObject(
			{ statusCode: 403 },
		)
		expect(violations).toEqual([
			expect.objectContaining({ code: 'tenant_sources_disagree', source: 'lambdaContext' }),
		])
	})

	it('never lets context.tenantId establish the tenant alone: the invoker chooses it', async () => {
		const { handler, seen } = pipeline()
		const response = await handler(httpWith(), lambdaContext({ tenantId: 'acme' }))
		expect(response.statusCode).toBe(401)
		expect(seen).toEqual([])
		const opted = pipeline({ resolve: (_event, context) => context.tenantId })
		await expect(
			opted.handler(httpWith(), lambdaContext({ tenantId: 'acme' })),
		).resolves.toMatchObject({ statusCode: 200, body: 'acme' })
	})

	it('reads only the sources asked for', async () => {
		const { handler } = pipeline({ sources: ['auth'] })
		const response = await handler(restWith({ lambda: { tenant_id: 'acme' } }), lambdaContext())
		expect(response.statusCode).toBe(401)
	})
})

describe('no tenant', () => {
	it('answers 401 with a challenge, and the handler does not run', async () => {
		const { handler, seen, violations, errors } = pipeline()
		const response = await handler(httpWith(), lambdaContext())
		expect(response).toMatchObject({
			statusCode: 401,
			body: 'Unauthorized',
			headers: { 'WWW-Authenticate': 'Bearer' },
		})
		expect(seen).toEqual([])
		expect(violations).toEqual([])
		expect(errors[0]).toMatchObject({ cause: { code: 'tenant_missing' } })
	})

	it('uses the configured challenge', async () => {
		const { handler } = pipeline({ challenge: 'HMAC realm="webhooks"' })
		await expect(handler(httpWith(), lambdaContext())).resolves.toMatchObject({
			headers: { 'WWW-Authenticate': 'HMAC realm="webhooks"' },
		})
	})

	it('treats an auth context without tenantId, and null values, as no tenant', async () => {
		const { handler } = pipeline({}, { auth: () => undefined })
		await expect(
			handler(httpWith({ lambda: { tenant_id: null } }), lambdaContext()),
		).resolves.toMatchObject({ statusCode: 401 })
	})
})

describe('sources that disagree', () => {
	it.each([
		['REST Lambda authorizer', restWith({ lambda: { tenant_id: 'globex' } }), 'restAuthorizer'],
		[
			'Cognito authorizer',
			restWith({ cognito: { 'custom:tenant_id': 'globex' } }),
			'cognitoAuthorizer',
		],
		[
			'HTTP API Lambda authorizer',
			httpWith({ lambda: { tenant_id: 'globex' } }),
			'httpLambdaAuthorizer',
		],
		[
			'HTTP API JWT authorizer',
			httpWith({ jwt: { claims: { 'custom:tenant_id': 'globex' } } }),
			'httpJwtAuthorizer',
		],
	])('our auth says acme, the %s says globex: 403', async (_name, event, source) => {
		const { handler, seen, violations, errors } = pipeline({}, { auth: 'acme' })
		const response = await handler(event, lambdaContext())
		expect(response).toMatchObject({ statusCode: 403, body: 'Forbidden' })
		expect(seen).toEqual([])
		expect(violations).toEqual([
			expect.objectContaining({
				code: 'tenant_sources_disagree',
				tenant: 'acme',
				claimedTenant: 'globex',
				source,
			}),
		])
		expect(errors[0]).toMatchObject({ cause: { code: 'tenant_sources_disagree' } })
	})

	it('accepts sources that agree', async () => {
		const { handler } = pipeline({}, { auth: 'acme' })
		await expect(
			handler(httpWith({ lambda: { tenant_id: 'acme' } }), lambdaContext({ tenantId: 'acme' })),
		).resolves.toMatchObject({ statusCode: 200 })
	})

	it('compares exactly: case and surrounding spaces matter', async () => {
		const { handler } = pipeline({}, { auth: 'acme' })
		for (const other of ['ACME', 'Acme', ' acme', 'acme ']) {
			const response = await handler(httpWith({ lambda: { tenant_id: other } }), lambdaContext())
			expect(response.statusCode).toBe(403)
		}
	})
})

describe('invalid tenant ids', () => {
	it.each([
		['empty', ''],
		['with a separator', 'acme#admin'],
		['a path', '../globex'],
		['too long', 'a'.repeat(65)],
		['a number', 42],
		['an array', ['acme']],
		['an object', { id: 'acme' }],
		['unicode look-alike', 'аcme'],
	])('%s: 403 and reported', async (_name, value) => {
		const { handler, seen, violations } = pipeline()
		const response = await handler(httpWith({ lambda: { tenant_id: value } }), lambdaContext())
		expect(response.statusCode).toBe(403)
		expect(seen).toEqual([])
		expect(violations).toEqual([
			expect.objectContaining({
				code: 'tenant_id_invalid',
				tenant: undefined,
				source: 'httpLambdaAuthorizer',
			}),
		])
	})

	it("reports the request's tenant when another source is valid", async () => {
		const { handler, violations } = pipeline({}, { auth: 'acme' })
		await handler(httpWith({ lambda: { tenant_id: 'acme#admin' } }), lambdaContext())
		expect(violations).toEqual([
			expect.objectContaining({
				code: 'tenant_id_invalid',
				tenant: 'acme',
				claimedTenant: 'acme#admin',
				source: 'httpLambdaAuthorizer',
			}),
		])
	})

	it('applies a stricter tenantIdPattern as a whole', async () => {
		const { handler } = pipeline(
			{ tenantIdPattern: /t-[0-9]+/ },
			{ auth: (e) => (e as { t: string }).t },
		)
		const run = (t: string) => handler({ ...httpWith(), t }, lambdaContext())
		await expect(run('t-1')).resolves.toMatchObject({ statusCode: 200 })
		await expect(run('xt-1')).resolves.toMatchObject({ statusCode: 403 })
		await expect(run('t-1x')).resolves.toMatchObject({ statusCode: 403 })
	})

	it('keeps ids a looser pattern would allow out of keys (the default rule applies too)', async () => {
		const { handler } = pipeline({ tenantIdPattern: /[a-z.#]+/ }, { auth: 'a.b' })
		await expect(handler(httpWith(), lambdaContext())).resolves.toMatchObject({ statusCode: 403 })
	})
})
