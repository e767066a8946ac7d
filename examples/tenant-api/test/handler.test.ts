import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { httpApiEvent, type LocalStack, lambdaContext, restApiEvent } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { audience, type Handler, startTenantApi, tableName } from './local-tenant-api.js'

let stack: LocalStack
let handler: Handler

beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 25 }))
})
afterAll(() => stack.stop())

const tokenFor = (tenant: string | undefined, claims: Record<string, unknown> = {}) =>
	stack.identityProvider.sign({
		sub: `user@${tenant}`,
		aud: audience,
		...(tenant ? { tenant_id: tenant } : {}),
		...claims,
	})

const call = async (
	method: string,
	path: string,
	options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<APIGatewayProxyStructuredResultV2> => {
	const [, , tenantId, , itemId] = path.split('/')
	const event = httpApiEvent({
		method,
		path,
		pathParameters: { tenantId: tenantId ?? '', itemId: itemId ?? '' },
		headers: {
			...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
			...options.headers,
		},
		...(options.body === undefined ? {} : { body: options.body as Record<string, unknown> }),
	})
	return (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2
}

describe('tenant-api', () => {
	it('stores, reads and deletes an item under the caller tenant key, with its STS session', async () => {
		const token = await tokenFor('acme')
		const put = await call('PUT', '/tenants/acme/items/42', { token, body: { name: 'widget' } })
		expect(put.statusCode).toBe(201)
		expect(JSON.parse(put.body ?? '')).toMatchObject({ itemId: '42', data: { name: 'widget' } })
		expect(put.headers).toMatchObject({ 'RateLimit-Limit': '25' })

		const stored = await stack.dynamodb.client().send(
			new GetItemCommand({
				TableName: tableName,
				Key: { pk: { S: 'TENANT#acme#ITEM#42' }, sk: { S: 'ITEM' } },
			}),
		)
		expect(stored.Item?.updatedBy).toEqual({ S: 'user@acme' })
		const write = stack.dynamodb.requests.find((request) => request.operation === 'PutItem')
		expect(stack.sts.callForAccessKey(write?.accessKeyId)?.tags).toEqual({ tenant_id: 'acme' })

		const get = await call('GET', '/tenants/acme/items/42', { token })
		expect(JSON.parse(get.body ?? '')).toMatchObject({ itemId: '42', data: { name: 'widget' } })
		const update = await call('PUT', '/tenants/acme/items/42', { token, body: { name: 'gizmo' } })
		expect(update.statusCode).toBe(200)
		expect(JSON.parse(update.body ?? '')).toMatchObject({ itemId: '42', data: { name: 'gizmo' } })
		expect((await call('DELETE', '/tenants/acme/items/42', { token })).statusCode).toBe(204)
		expect((await call('GET', '/tenants/acme/items/42', { token })).statusCode).toBe(404)
	})

	it('keeps tenants apart: another tenant in the path is a 403 and reads nothing', async () => {
		const acme = await tokenFor('acme')
		await call('PUT', '/tenants/acme/items/secret', { token: acme, body: { plan: 'gold' } })
		stack.dynamodb.clearRequests()
		const globex = await tokenFor('globex')
		const attempt = await call('GET', '/tenants/acme/items/secret', { token: globex })
		expect(attempt.statusCode).toBe(403)
		expect(attempt.body).toBe('Forbidden')
		expect(stack.dynamodb.requests.filter((r) => r.operation === 'GetItem')).toEqual([])
	})

	it('answers bad credentials with 401 and a Bearer challenge', async () => {
		const forger = await stack.identityProvider.createKey('RS256', { publish: false })
		const forged = await stack.identityProvider.sign(
			{ sub: 'x', aud: audience, tenant_id: 'acme' },
			{ key: forger },
		)
		const expired = await tokenFor('acme', { exp: Math.floor(Date.now() / 1000) - 60 })
		const wrongAudience = await tokenFor('acme', { aud: 'another-api' })
		for (const token of [forged, expired, wrongAudience, 'not.a.jwt']) {
			const response = await call('GET', '/tenants/acme/items/1', { token })
			expect(response).toMatchObject({ statusCode: 401, body: 'Unauthorized' })
			expect(response.headers?.['WWW-Authenticate']).toMatch(
				/^Bearer realm="api", error="invalid_token"/,
			)
		}
		expect((await call('GET', '/tenants/acme/items/1')).headers?.['WWW-Authenticate']).toBe(
			'Bearer realm="api"',
		)
	})

	it('refuses a token without a tenant (403) and bad input (400, 422)', async () => {
		expect(
			(await call('GET', '/tenants/acme/items/1', { token: await tokenFor(undefined) })).statusCode,
		).toBe(403)
		const token = await tokenFor('acme')
		expect((await call('GET', '/tenants/acme/items/x#TENANT#globex', { token })).statusCode).toBe(
			400,
		)
		expect((await call('PUT', '/tenants/acme/items/1', { token, body: [1, 2] })).statusCode).toBe(
			422,
		)
		// Invoked past API Gateway's routing (a test event, a direct invoke): no itemId at all.
		const noItem = httpApiEvent({
			method: 'GET',
			path: '/tenants/acme/items',
			pathParameters: { tenantId: 'acme' },
			headers: { authorization: `Bearer ${token}` },
		})
		expect(await handler(noItem, lambdaContext())).toMatchObject({ statusCode: 400 })
	})

	it.each([['null'], ['7'], ['"widget"']])(
		'refuses a PUT whose JSON body is %s, not an object (422), and stores nothing',
		async (body) => {
			const token = await tokenFor('soylent')
			stack.dynamodb.clearRequests()
			const response = await call('PUT', '/tenants/soylent/items/scalar', {
				token,
				headers: { 'content-type': 'application/json' },
				body,
			})
			expect(response.statusCode).toBe(422)
			expect(stack.dynamodb.requests.map((request) => request.operation)).not.toContain('PutItem')
		},
	)

	it('answers items as application/json', async () => {
		const token = await tokenFor('umbrella')
		const put = await call('PUT', '/tenants/umbrella/items/typed', { token, body: { a: 1 } })
		const get = await call('GET', '/tenants/umbrella/items/typed', { token })
		expect([put.headers?.['Content-Type'], get.headers?.['Content-Type']]).toEqual([
			'application/json',
			'application/json',
		])
	})

	it.each([
		['JSON sent as text/plain', 'text/plain', '{"name":"widget"}'],
		['a form', 'application/x-www-form-urlencoded', 'name=widget'],
		['JSON without a Content-Type', undefined, '{"name":"widget"}'],
	])('answers a PUT of %s 415 and stores nothing', async (_name, contentType, body) => {
		const token = await tokenFor('acme')
		stack.dynamodb.clearRequests()
		const response = await call('PUT', '/tenants/acme/items/plain', {
			token,
			headers: contentType === undefined ? {} : { 'content-type': contentType },
			body,
		})
		expect(response.statusCode).toBe(415)
		expect(stack.dynamodb.requests.map((request) => request.operation)).not.toContain('PutItem')
	})

	it('answers a method it does not serve 405 with the Allow header, and changes nothing', async () => {
		const token = await tokenFor('acme')
		stack.dynamodb.clearRequests()
		const response = await call('POST', '/tenants/acme/items/42', { token, body: { a: 1 } })
		expect({ status: response.statusCode, allow: response.headers?.Allow }).toEqual({
			status: 405,
			allow: 'GET, PUT, DELETE',
		})
		expect(stack.dynamodb.requests.map((request) => request.operation)).not.toContain('PutItem')
	})

	// The template deploys an HTTP API; a copy of the handler behind a REST API's proxy
	// integration (payload 1.0) must serve the same routes, not fail on the event's shape. The
	// handler is typed for the payload it was written for, hence the cast.
	it('serves the same routes behind a REST API (payload 1.0)', async () => {
		const token = await tokenFor('acme')
		const rest = (method: string, body?: Record<string, unknown>) =>
			(handler as (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>)(
				restApiEvent({
					method,
					path: '/tenants/acme/items/rest-1',
					resource: '/tenants/{tenantId}/items/{itemId}',
					pathParameters: { tenantId: 'acme', itemId: 'rest-1' },
					headers: { Authorization: `Bearer ${token}` },
					...(body === undefined ? {} : { body }),
				}),
				lambdaContext(),
			)
		const put = await rest('PUT', { name: 'widget' })
		const get = await rest('GET')
		const removed = await rest('DELETE')
		expect({
			put: put.statusCode,
			get: [get.statusCode, JSON.parse(get.body ?? '').data],
			removed: removed.statusCode,
			afterwards: (await rest('GET')).statusCode,
		}).toEqual({ put: 201, get: [200, { name: 'widget' }], removed: 204, afterwards: 404 })
	})

	it.each(['GET', 'PUT', 'DELETE'])(
		'answers 400, not 500, to %s with an item id DynamoDB cannot key',
		async (method) => {
			const token = await tokenFor('acme')
			const response = await call(method, `/tenants/acme/items/${'x'.repeat(3_000)}`, {
				token,
				...(method === 'PUT' ? { body: { a: 1 } } : {}),
			})
			expect(response.statusCode).toBe(400)
		},
	)

	it('keys item ids of up to 1,024 bytes, counted in UTF-8, and answers longer ones 400', async () => {
		const token = await tokenFor('wayne')
		const status = async (itemId: string) =>
			(await call('GET', `/tenants/wayne/items/${itemId}`, { token })).statusCode
		expect(await status('x'.repeat(1_024))).toBe(404)
		expect(await status('x'.repeat(1_025))).toBe(400)
		// 342 characters, 1,026 bytes: DynamoDB's key limit counts bytes.
		expect(await status('€'.repeat(342))).toBe(400)
	})

	it('limits each tenant separately (429 with Retry-After)', async () => {
		// The stack counts in one-day windows: on the real clock, a run crossing midnight UTC
		// would start a fresh window midway. An hour into tomorrow, no window ends during the test,
		// and every cache the earlier tests filled reads as expired, never as younger than it is.
		const day = 86_400_000
		vi.useFakeTimers({
			toFake: ['Date'],
			now: (Math.floor(Date.now() / day) + 1) * day + 3_600_000,
		})
		try {
			const token = await tokenFor('initech')
			const statuses: (number | undefined)[] = []
			for (let i = 0; i < 27; i++)
				statuses.push((await call('GET', '/tenants/initech/items/none', { token })).statusCode)
			expect(statuses.filter((status) => status === 404)).toHaveLength(25)
			const limited = await call('GET', '/tenants/initech/items/none', { token })
			expect(limited).toMatchObject({ statusCode: 429, headers: { 'RateLimit-Remaining': '0' } })
			expect(limited.headers?.['Retry-After']).toBe(String(day / 1000 - 3600))
			expect(
				(await call('GET', '/tenants/acme/items/none', { token: await tokenFor('acme') }))
					.statusCode,
			).toBe(404)
		} finally {
			vi.useRealTimers()
		}
	})

	it('keeps serving from cached keys while the identity provider is down', async () => {
		const token = await tokenFor('acme')
		stack.identityProvider.faults.inject({ type: 'down' })
		try {
			expect((await call('GET', '/tenants/acme/items/none', { token })).statusCode).toBe(404)
		} finally {
			stack.identityProvider.faults.clear()
		}
	})

	it('traces the handler, the DynamoDB call and the tenant', async () => {
		stack.xray.clear()
		await call('GET', '/tenants/acme/items/traced', { token: await tokenFor('acme') })
		const segments = await stack.xray.waitFor((all) => all.some((s) => s.name === 'DynamoDB'))
		const handlerSegment = segments.find((s) => s.name === '## index.handler')
		expect(handlerSegment?.annotations).toMatchObject({ tenant_id: 'acme' })
		expect(segments.find((s) => s.name === 'DynamoDB')?.aws).toMatchObject({ operation: 'GetItem' })
	})

	it('answers 503 with Retry-After, not 500, while DynamoDB fails, and serves again once it is back', async () => {
		const token = await tokenFor('hooli')
		stack.dynamodb.faults.inject({ type: 'server-error' }, { target: 'GetItem' })
		try {
			expect(await call('GET', '/tenants/hooli/items/42', { token })).toMatchObject({
				statusCode: 503,
				body: 'Service Unavailable',
				headers: { 'Retry-After': '5' },
			})
		} finally {
			stack.dynamodb.faults.clear()
		}
		expect((await call('GET', '/tenants/hooli/items/42', { token })).statusCode).toBe(404)
	})
})
