import type { HttpRequestSpec } from '@tenantry/testing'
import { httpApiEvent, lambdaContext, restApiEvent } from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import type { MatchOptions } from '../src/index.js'
import { pipeline } from './harness.js'

const match: MatchOptions = {
	pathParameter: 'tenantId',
	header: 'X-Tenant-Id',
	query: 'tenant',
	bodyField: 'order.tenantId',
}

type Location = 'pathParameter' | 'header' | 'query' | 'body'
type State = 'same' | 'different' | 'missing'

/** A POST naming `tenant` at one location (or nowhere, for `missing`). */
const spec = (location: Location, state: State): HttpRequestSpec => {
	const tenant = state === 'same' ? 'acme' : 'globex'
	const named = state !== 'missing'
	const base: HttpRequestSpec = { method: 'POST', path: '/orders', body: { order: {} } }
	switch (location) {
		case 'pathParameter':
			return named ? { ...base, pathParameters: { tenantId: tenant } } : base
		case 'header':
			return named ? { ...base, headers: { 'X-Tenant-Id': tenant } } : base
		case 'query':
			return named ? { ...base, query: { tenant } } : base
		case 'body':
			return named ? { ...base, body: { order: { tenantId: tenant, total: 3 } } } : base
	}
}

const locations: Location[] = ['pathParameter', 'header', 'query', 'body']
const states: State[] = ['same', 'different', 'missing']
const shapes = { 'HTTP API': httpApiEvent, REST: restApiEvent } as const

const matrix = Object.entries(shapes).flatMap(([shape, build]) =>
	locations.flatMap((location) =>
		states.map((state) => ({
			shape,
			build,
			location,
			state,
			status: state === 'different' ? 403 : 200,
		})),
	),
)

describe('mismatch matrix: caller acme, the request names a tenant at one place', () => {
	it.each(matrix)(
		'$shape $location $state → $status',
		async ({ build, location, state, status }) => {
			const { handler, seen, violations, errors } = pipeline(
				{ match },
				{ auth: 'acme', parseBody: true },
			)
			const response = await handler(build(spec(location, state)), lambdaContext())
			expect(response.statusCode).toBe(status)
			if (status === 200) {
				expect(seen.map((t) => t.id)).toEqual(['acme'])
				expect(violations).toEqual([])
			} else {
				expect(response.body).toBe('Forbidden')
				expect(seen).toEqual([])
				expect(violations).toEqual([
					expect.objectContaining({
						code: 'tenant_mismatch',
						tenant: 'acme',
						claimedTenant: 'globex',
						source: location,
						path: '/orders',
						method: 'POST',
					}),
				])
				expect(errors[0]).toMatchObject({ cause: { code: 'tenant_mismatch' } })
			}
		},
	)
})

describe('required references', () => {
	it.each(
		locations.map((location) => ({
			location,
			required: location === 'body' ? 'bodyField' : location,
		})),
	)(
		'$location required and missing → 403 tenant_reference_missing',
		async ({ location, required }) => {
			const { handler, seen, violations } = pipeline(
				{ match: { ...match, required: [required as 'pathParameter'] } },
				{ auth: 'acme', parseBody: true },
			)
			const response = await handler(httpApiEvent(spec(location, 'missing')), lambdaContext())
			expect(response.statusCode).toBe(403)
			expect(seen).toEqual([])
			expect(violations).toEqual([
				expect.objectContaining({ code: 'tenant_reference_missing', source: location }),
			])
			await expect(
				handler(httpApiEvent(spec(location, 'same')), lambdaContext()),
			).resolves.toMatchObject({ statusCode: 200 })
		},
	)

	it('required: true covers every configured location', async () => {
		const { handler } = pipeline(
			{ match: { pathParameter: 'tenantId', header: 'x-tenant-id', required: true } },
			{ auth: 'acme' },
		)
		const both = httpApiEvent({
			pathParameters: { tenantId: 'acme' },
			headers: { 'x-tenant-id': 'acme' },
		})
		await expect(handler(both, lambdaContext())).resolves.toMatchObject({ statusCode: 200 })
		const pathOnly = httpApiEvent({ pathParameters: { tenantId: 'acme' } })
		await expect(handler(pathOnly, lambdaContext())).resolves.toMatchObject({ statusCode: 403 })
	})
})

describe('repeated and oddly shaped references', () => {
	const run = (event: unknown, options = {}) =>
		pipeline({ match, ...options }, { auth: 'acme' }).handler(event, lambdaContext())

	it('refuses a repeated query parameter when any value differs (REST multi-value)', async () => {
		const event = restApiEvent({ query: { tenant: 'acme' } })
		event.multiValueQueryStringParameters = { tenant: ['acme', 'globex'] }
		await expect(run(event)).resolves.toMatchObject({ statusCode: 403 })
		event.multiValueQueryStringParameters = { tenant: ['acme', 'acme'] }
		await expect(run(event)).resolves.toMatchObject({ statusCode: 200 })
	})

	it('refuses a repeated query parameter joined by HTTP API (acme,globex)', async () => {
		await expect(run(httpApiEvent({ query: { tenant: 'acme,globex' } }))).resolves.toMatchObject({
			statusCode: 403,
		})
	})

	it('refuses a duplicated header (read joined, as RFC 9110 combines them)', async () => {
		const event = restApiEvent({ headers: { 'x-tenant-id': 'acme' } })
		event.multiValueHeaders = { 'x-tenant-id': ['acme', 'globex'] }
		await expect(run(event)).resolves.toMatchObject({ statusCode: 403 })
	})

	it('refuses a header sent under two spellings (acme, globex), in either event record', async () => {
		const multiValue = restApiEvent({ headers: { 'x-tenant-id': 'acme', 'X-Tenant-Id': 'globex' } })
		const singleValue = { ...multiValue, multiValueHeaders: {} }
		for (const event of [multiValue, singleValue])
			await expect(run(event)).resolves.toMatchObject({ statusCode: 403 })
	})

	it('reads the header in any case', async () => {
		await expect(
			run(restApiEvent({ headers: { 'X-TENANT-ID': 'globex' } })),
		).resolves.toMatchObject({
			statusCode: 403,
		})
	})

	it('refuses an empty reference: it is present and is not the tenant', async () => {
		await expect(run(httpApiEvent({ headers: { 'x-tenant-id': '' } }))).resolves.toMatchObject({
			statusCode: 403,
		})
		await expect(run(httpApiEvent({ query: { tenant: '' } }))).resolves.toMatchObject({
			statusCode: 403,
		})
	})

	it('refuses a body field that is not a string, reads null as missing', async () => {
		const { handler } = pipeline({ match }, { auth: 'acme', parseBody: true })
		const post = (order: unknown) =>
			handler(httpApiEvent({ method: 'POST', body: { order } }), lambdaContext())
		await expect(post({ tenantId: 7 })).resolves.toMatchObject({ statusCode: 403 })
		await expect(post({ tenantId: ['acme'] })).resolves.toMatchObject({ statusCode: 403 })
		await expect(post({ tenantId: { id: 'acme' } })).resolves.toMatchObject({ statusCode: 403 })
		await expect(post({ tenantId: null })).resolves.toMatchObject({ statusCode: 200 })
		await expect(post('acme')).resolves.toMatchObject({ statusCode: 200 })
	})

	it('refuses (415, no detail) a JSON body it cannot read: bodyField before the JSON body parser', async () => {
		const { handler, errors, seen } = pipeline({ match }, { auth: 'acme' })
		const response = await handler(
			httpApiEvent({ method: 'POST', body: { order: { tenantId: 'acme' } } }),
			lambdaContext(),
		)
		expect(response.statusCode).toBe(415)
		expect(response.body ?? '').not.toMatch(/parser/)
		expect(seen).toEqual([])
		expect(String(((errors[0] as Error).cause as Error).message)).toMatch(
			/@middy\/http-json-body-parser must run before tenantIsolation/,
		)
		// Requests without a body never reach that check.
		await expect(handler(httpApiEvent({ method: 'GET' }), lambdaContext())).resolves.toMatchObject({
			statusCode: 200,
		})
	})

	it('refuses (415) a base64-encoded JSON body it cannot read, as REST APIs with binary media types send JSON', async () => {
		for (const event of [
			restApiEvent({
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: '{"order":{"tenantId":"globex"}}',
				isBase64Encoded: true,
			}),
			httpApiEvent({ method: 'POST', body: Buffer.from('{"order":{"tenantId":"globex"}}') }),
		]) {
			const { handler, seen } = pipeline({ match }, { auth: 'acme' })
			expect((await handler(event, lambdaContext())).statusCode).toBe(415)
			expect(seen).toEqual([])
		}
	})

	it('refuses a hand-made REST event whose query records disagree, in either record', async () => {
		// API Gateway fills both records alike; a direct invocation need not, and a handler may read
		// either one (a multi-value entry that is not a list is read as one value).
		for (const records of [
			{
				multiValueQueryStringParameters: { tenant: ['acme'] },
				queryStringParameters: { tenant: 'globex' },
			},
			{
				multiValueQueryStringParameters: { tenant: 'globex' },
				queryStringParameters: { tenant: 'acme' },
			},
		]) {
			const { handler, seen } = pipeline({ match }, { auth: 'acme' })
			const event = { ...restApiEvent({ method: 'GET' }), ...records }
			expect((await handler(event, lambdaContext())).statusCode).toBe(403)
			expect(seen).toEqual([])
		}
	})

	it('refuses (415) an unparsed JSON body that opens with whitespace', async () => {
		// JSON allows whitespace before the value: the JSON parser after this one would still read it.
		const { handler, seen } = pipeline({ match }, { auth: 'acme' })
		for (const body of ['\n {"order":{"tenantId":"globex"}}', '\t\r\n[{"order":{}}]']) {
			const response = await handler(httpApiEvent({ method: 'POST', body }), lambdaContext())
			expect(response.statusCode).toBe(415)
		}
		expect(seen).toEqual([])
	})

	it('refuses (415) a body left as bytes (a Buffer), whatever it holds', async () => {
		// No gateway sends bytes, but a middleware before this one may leave them (a raw-body
		// reader): a parser or handler after it would read the tenant unchecked.
		const { handler, seen } = pipeline({ match }, { auth: 'acme' })
		const event = {
			...httpApiEvent({ method: 'POST' }),
			body: Buffer.from('{"order":{"tenantId":"globex"}}'),
		}
		expect((await handler(event, lambdaContext())).statusCode).toBe(415)
		expect(seen).toEqual([])
	})

	it('reads an empty body as naming no tenant, whatever Content-Type it declares', async () => {
		// Nothing is left to parse after this one: an empty form cannot name a tenant.
		const { handler, seen } = pipeline({ match }, { auth: 'acme' })
		const event = httpApiEvent({
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
		})
		expect((await handler({ ...event, body: '' }, lambdaContext())).statusCode).toBe(200)
		expect(seen).toHaveLength(1)
	})

	it('refuses (415) an unparsed JSON array body, which a dotted path can index', async () => {
		const { handler, seen } = pipeline({ match: { bodyField: '0.tenantId' } }, { auth: 'acme' })
		const response = await handler(
			httpApiEvent({ method: 'POST', body: '[{"tenantId":"globex"}]' }),
			lambdaContext(),
		)
		expect(response.statusCode).toBe(415)
		expect(seen).toEqual([])
	})

	it('reads a base64-encoded JSON body once the parser ran before it', async () => {
		const { handler } = pipeline({ match }, { auth: 'acme', parseBody: true })
		const send = (tenantId: string) =>
			handler(
				httpApiEvent({
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ order: { tenantId } }),
					isBase64Encoded: true,
				}),
				lambdaContext(),
			)
		expect((await send('acme')).statusCode).toBe(200)
		expect((await send('globex')).statusCode).toBe(403)
	})
})
