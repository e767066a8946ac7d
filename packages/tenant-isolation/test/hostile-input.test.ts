import { httpApiEvent, lambdaContext, restApiEvent } from '@tenantry/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { pipeline } from './harness.js'

const match = {
	pathParameter: 'tenantId',
	header: 'x-tenant-id',
	query: 'tenant',
	bodyField: 'tenantId',
}

/** A deep snapshot that also works for events holding functions. */
const snapshot = (value: unknown): string =>
	JSON.stringify(value, (_key, v) =>
		typeof v === 'function' ? `[function ${v.toString()}]` : v,
	) ?? String(value)

/** Runs one hostile event and checks that nothing changed: no handler, no tenant, event intact. */
const refuse = async (event: unknown, expected: 401 | 403, auth?: string) => {
	const { handler, seen } = pipeline({ match }, auth === undefined ? {} : { auth })
	const before = snapshot(event)
	const context = lambdaContext()
	const response = await handler(event, context)
	expect(response.statusCode).toBe(expected)
	expect(response.body).toBe(expected === 401 ? 'Unauthorized' : 'Forbidden')
	expect(seen).toEqual([])
	expect('tenant' in context).toBe(false)
	expect(snapshot(event)).toBe(before)
	return response
}

describe('hostile input', () => {
	afterEach(() => {
		delete (Object.prototype as Record<string, unknown>).tenant_id
	})

	it.each([
		['null', null],
		['a string', 'GET /'],
		['a number', 42],
		['an array', [{ requestContext: { authorizer: { tenant_id: 'acme' } } }]],
		['requestContext as a string', { requestContext: 'tenant_id=acme' }],
		['authorizer as an array', { requestContext: { authorizer: ['acme'] } }],
		['claims as a string', { requestContext: { authorizer: { claims: 'custom:tenant_id=acme' } } }],
		['jwt claims as an array', { requestContext: { authorizer: { jwt: { claims: ['acme'] } } } }],
	])('an event that is %s names no tenant: 401', async (_name, event) => {
		await refuse(event, 401)
	})

	it('never reads context.auth.tenantId from its prototype', async () => {
		// Only an auth middleware's own answer establishes the tenant, not one its object inherits.
		const { handler, seen } = pipeline({ match })
		const context = { ...lambdaContext(), auth: Object.create({ tenantId: 'acme' }) }
		const response = await handler(httpApiEvent(), context)
		expect(response.statusCode).toBe(401)
		expect(seen).toEqual([])
	})

	it('never reads a tenant from the prototype chain', async () => {
		;(Object.prototype as Record<string, unknown>).tenant_id = 'acme'
		await refuse(httpApiEvent({ authorizer: { lambda: {} } }), 401)
		const parsed = JSON.parse(
			'{"requestContext":{"authorizer":{"__proto__":{"tenant_id":"acme"}}}}',
		)
		await refuse(parsed, 401)
	})

	it.each([
		['a null byte', 'acme\u0000'],
		['a newline', 'acme\nglobex'],
		['a separator', 'acme#globex'],
		['a wildcard', '*'],
		['a key prefix', 'TENANT#acme#'],
		['64 KiB', 'a'.repeat(65_536)],
		['a number', 1],
		['a boolean', true],
		['an object with toString', { toString: () => 'acme' }],
	])('a tenant id with %s from an authorizer: 403', async (_name, value) => {
		await refuse(httpApiEvent({ authorizer: { lambda: { tenant_id: value } } }), 403)
	})

	it('a Cognito claim naming another tenant next to our auth: 403', async () => {
		await refuse(
			restApiEvent({ authorizer: { cognito: { 'custom:tenant_id': 'globex' } } }),
			403,
			'acme',
		)
	})

	it.each([
		['path parameter', httpApiEvent({ pathParameters: { tenantId: 'globex' } })],
		['path parameter with encoding', httpApiEvent({ pathParameters: { tenantId: 'acme%00' } })],
		['header', httpApiEvent({ headers: { 'X-Tenant-Id': 'acme,globex' } })],
		[
			'query array',
			{ ...httpApiEvent(), multiValueQueryStringParameters: { tenant: ['acme', 7] } },
		],
		['query object', { ...httpApiEvent(), queryStringParameters: { tenant: { id: 'acme' } } }],
		['body field', { ...httpApiEvent(), body: { tenantId: 'globex' } }],
		['body field array', { ...httpApiEvent(), body: { tenantId: ['acme', 'globex'] } }],
	])('a %s naming another tenant: 403', async (_name, event) => {
		await refuse(event, 403, 'acme')
	})

	it('a body tenant behind __proto__ is not read as a reference, and nothing is polluted', async () => {
		const event = { ...httpApiEvent(), body: JSON.parse('{"__proto__":{"tenantId":"globex"}}') }
		const { handler } = pipeline({ match }, { auth: 'acme' })
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 200 })
		expect(({} as Record<string, unknown>).tenantId).toBeUndefined()
	})

	it('answers every refusal with the same headers and body, whatever the reason', async () => {
		const responses = await Promise.all(
			[
				httpApiEvent({ authorizer: { lambda: { tenant_id: 'acme#x' } } }),
				httpApiEvent({ authorizer: { lambda: { tenant_id: 'globex' } } }),
				httpApiEvent({ pathParameters: { tenantId: 'globex' } }),
			].map((event) => pipeline({ match }, { auth: 'acme' }).handler(event, lambdaContext())),
		)
		for (const response of responses) expect(response).toEqual(responses[0])
		expect(JSON.stringify(responses[0])).not.toMatch(/globex|acme|tenant/i)
	})
})
