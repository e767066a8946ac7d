import { describe, expect, it, vi } from 'vitest'
import {
	albEvent,
	functionUrlEvent,
	type HttpRequestSpec,
	httpApiAuthorizerEvent,
	httpApiEvent,
	lambdaContext,
	restApiEvent,
} from '../src/index.js'

describe('HTTP API (v2) events', () => {
	it('builds a request with lower-cased headers, cookies, query and JSON body', () => {
		const event = httpApiEvent({
			method: 'put',
			path: '/tenants/acme/items/1?dry=1',
			headers: { Authorization: 'Bearer t', Cookie: 'a=1; b=2' },
			query: { limit: '5' },
			pathParameters: { tenantId: 'acme', itemId: '1' },
			body: { name: 'widget' },
		})
		expect(event).toMatchObject({
			version: '2.0',
			rawPath: '/tenants/acme/items/1',
			rawQueryString: 'dry=1&limit=5',
			queryStringParameters: { dry: '1', limit: '5' },
			cookies: ['a=1', 'b=2'],
			headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
			pathParameters: { tenantId: 'acme', itemId: '1' },
			body: '{"name":"widget"}',
			isBase64Encoded: false,
			requestContext: {
				http: { method: 'PUT', path: '/tenants/acme/items/1' },
				routeKey: 'PUT /tenants/acme/items/1',
			},
		})
	})

	it('base64-encodes Buffer bodies and carries authorizer contexts', () => {
		const event = httpApiEvent({
			body: Buffer.from([0xff, 0x00, 0x10]),
			authorizer: { jwt: { claims: { 'custom:tenant_id': 'acme' }, scopes: ['items:read'] } },
		})
		expect(event.isBase64Encoded).toBe(true)
		expect(Buffer.from(event.body ?? '', 'base64')).toEqual(Buffer.from([0xff, 0x00, 0x10]))
		expect((event.requestContext as unknown as { authorizer: unknown }).authorizer).toEqual({
			jwt: { claims: { 'custom:tenant_id': 'acme' }, scopes: ['items:read'] },
		})
		const lambda = httpApiEvent({ authorizer: { lambda: { tenant_id: 'acme' } } })
		expect((lambda.requestContext as unknown as { authorizer: unknown }).authorizer).toEqual({
			lambda: { tenant_id: 'acme' },
		})
	})

	it('stamps the request time as API Gateway writes it, matching the epoch', () => {
		const received = new Date('2020-03-02T19:03:58.123Z')
		vi.useFakeTimers({ now: received })
		try {
			expect(httpApiEvent().requestContext).toMatchObject({
				time: '02/Mar/2020:19:03:58 +0000',
				timeEpoch: received.getTime(),
			})
			expect(functionUrlEvent().requestContext.time).toBe('02/Mar/2020:19:03:58 +0000')
			expect(restApiEvent().requestContext).toMatchObject({
				requestTime: '02/Mar/2020:19:03:58 +0000',
				requestTimeEpoch: received.getTime(),
			})
		} finally {
			vi.useRealTimers()
		}
	})

	it('gives every event its own request id unless one is set', () => {
		expect(httpApiEvent().requestContext.requestId).not.toBe(
			httpApiEvent().requestContext.requestId,
		)
		expect(httpApiEvent({ requestId: 'r-1' }).requestContext.requestId).toBe('r-1')
	})

	it('builds Lambda authorizer (payload 2.0) events with the identity source', () => {
		const event = httpApiAuthorizerEvent({
			method: 'GET',
			path: '/tenants/acme/profile',
			headers: { Authorization: 'Bearer t' },
		})
		expect(event).toMatchObject({
			version: '2.0',
			type: 'REQUEST',
			identitySource: ['Bearer t'],
			routeKey: 'GET /tenants/acme/profile',
			rawPath: '/tenants/acme/profile',
			headers: { authorization: 'Bearer t' },
		})
		expect(event.routeArn).toBe(
			'arn:aws:execute-api:us-east-1:000000000000:local/$default/GET/tenants/acme/profile',
		)
	})

	it('gives a Lambda authorizer event no identity source without Authorization, and its query and path parameters', () => {
		const event = httpApiAuthorizerEvent({
			path: '/tenants/acme?view=full',
			pathParameters: { tenantId: 'acme' },
		})
		expect(event.identitySource).toEqual([])
		expect(event.queryStringParameters).toEqual({ view: 'full' })
		expect(event.pathParameters).toEqual({ tenantId: 'acme' })
	})

	it('base64-encodes a string body marked isBase64Encoded', () => {
		const event = httpApiEvent({ body: 'héllo', isBase64Encoded: true })
		expect(event.isBase64Encoded).toBe(true)
		expect(Buffer.from(event.body ?? '', 'base64').toString()).toBe('héllo')
	})

	it('builds Function URL events with the $default route', () => {
		expect(functionUrlEvent({ path: '/x' })).toMatchObject({
			routeKey: '$default',
			rawPath: '/x',
			version: '2.0',
		})
	})

	it('builds Function URL events without path parameters, which a function URL has none of', () => {
		// Its type refuses them in a literal; a spec built for every gateway may still hold them.
		const spec: HttpRequestSpec = { path: '/tenants/acme', pathParameters: { tenantId: 'acme' } }
		const event = functionUrlEvent(spec)
		expect(event.rawPath).toBe('/tenants/acme')
		expect(event).not.toHaveProperty('pathParameters')
	})
})

describe('REST API (v1) events', () => {
	it('keeps header case and fills multiValueHeaders', () => {
		const event = restApiEvent({
			method: 'post',
			path: '/hooks',
			headers: { 'X-Tenant-Id': 'acme' },
			body: 'raw',
		})
		expect(event).toMatchObject({
			httpMethod: 'POST',
			path: '/hooks',
			headers: { 'X-Tenant-Id': 'acme' },
			multiValueHeaders: { 'X-Tenant-Id': ['acme'] },
			body: 'raw',
			queryStringParameters: null,
		})
	})

	it('models Lambda and Cognito authorizers as API Gateway passes them', () => {
		expect(
			restApiEvent({ authorizer: { lambda: { tenant_id: 'acme' } } }).requestContext.authorizer,
		).toMatchObject({
			principalId: 'user',
			tenant_id: 'acme',
		})
		expect(
			restApiEvent({ authorizer: { cognito: { 'custom:tenant_id': 'acme' } } }).requestContext
				.authorizer,
		).toEqual({
			claims: { 'custom:tenant_id': 'acme' },
		})
	})
})

describe('ALB events and the Lambda context', () => {
	it('builds single- and multi-value ALB events', () => {
		expect(albEvent({ path: '/a?x=1', headers: { 'X-A': '1' } })).toMatchObject({
			headers: { 'x-a': '1' },
			queryStringParameters: { x: '1' },
		})
		const multi = albEvent({ headers: { 'X-A': '1' }, multiValue: true })
		expect(multi.multiValueHeaders).toEqual({ 'x-a': ['1'] })
		expect(multi.headers).toBeUndefined()
	})

	it('gives the context the legacy done, fail and succeed callbacks, doing nothing', () => {
		const context = lambdaContext()
		expect(context.done()).toBeUndefined()
		expect(context.fail('x')).toBeUndefined()
		expect(context.succeed('x')).toBeUndefined()
	})

	it('builds a context whose remaining time counts down', () => {
		const context = lambdaContext({ functionName: 'fn' })
		expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:fn')
		expect(context.getRemainingTimeInMillis()).toBeGreaterThan(29_000)
		expect(lambdaContext().awsRequestId).not.toBe(context.awsRequestId)
	})
})

describe('repeated and encoded parameters, as each event source passes them', () => {
	const path = '/items?tenant=acme&tenant=globex&q=a%20b'

	it('HTTP API (2.0): repeats joined by commas, the raw query string as sent', () => {
		const event = httpApiEvent({ path })
		expect(event.queryStringParameters).toEqual({ tenant: 'acme,globex', q: 'a b' })
		expect(event.rawQueryString).toBe('tenant=acme&tenant=globex&q=a%20b')
		expect(
			httpApiEvent({ headers: { 'X-Tenant-Id': 'acme', 'x-tenant-id': 'globex' } }).headers[
				'x-tenant-id'
			],
		).toBe('acme,globex')
	})

	it('names no parameter for empty segments, and keeps them in the raw query string', () => {
		const event = httpApiEvent({ path: '/x?&&a=1' })
		expect(event.rawQueryString).toBe('&&a=1')
		expect(event.queryStringParameters).toEqual({ a: '1' })
		expect(restApiEvent({ path: '/x?a=1&' }).multiValueQueryStringParameters).toEqual({ a: ['1'] })
	})

	it('keeps a valueless parameter and a "?" inside the query string as sent', () => {
		expect(httpApiEvent({ path: '/search?debug' }).rawQueryString).toBe('debug')
		const event = httpApiEvent({ path: '/search?q=who?what' })
		expect(event.rawQueryString).toBe('q=who?what')
		expect(event.queryStringParameters).toEqual({ q: 'who?what' })
		expect(restApiEvent({ path: '/search?q=who?what' }).queryStringParameters).toEqual({
			q: 'who?what',
		})
	})

	it('HTTP API (2.0) moves the Cookie header into cookies; a Function URL keeps both', () => {
		const headers = { Cookie: 'session=abc; theme=dark' }
		const api = httpApiEvent({ headers })
		expect(api.cookies).toEqual(['session=abc', 'theme=dark'])
		expect(api.headers.cookie).toBeUndefined()
		const url = functionUrlEvent({ headers })
		expect(url.cookies).toEqual(['session=abc', 'theme=dark'])
		expect(url.headers.cookie).toBe('session=abc; theme=dark')
	})

	it('REST API (1.0): the last value, and every value in multiValueQueryStringParameters', () => {
		const event = restApiEvent({ path })
		expect(event.queryStringParameters).toEqual({ tenant: 'globex', q: 'a b' })
		expect(event.multiValueQueryStringParameters).toEqual({
			tenant: ['acme', 'globex'],
			q: ['a b'],
		})
	})

	it('REST API (1.0): a Lambda authorizer context reaches the integration as strings', () => {
		expect(
			restApiEvent({ authorizer: { lambda: { tenant_id: 42, admin: true } } }).requestContext
				.authorizer,
		).toMatchObject({ tenant_id: '42', admin: 'true' })
	})

	it('ALB: query values as sent, still URL-encoded; the last value without multi-value headers', () => {
		expect(albEvent({ path }).queryStringParameters).toEqual({ tenant: 'globex', q: 'a%20b' })
		const multi = albEvent({
			path,
			headers: { 'X-A': '1', 'x-a': '2' },
			multiValue: true,
		})
		expect(multi.multiValueQueryStringParameters).toEqual({
			tenant: ['acme', 'globex'],
			q: ['a%20b'],
		})
		expect(multi.multiValueHeaders).toEqual({ 'x-a': ['1', '2'] })
		expect(albEvent({ headers: { 'X-A': '1', 'x-a': '2' } }).headers).toEqual({ 'x-a': '2' })
	})

	it('lets spec.query replace a parameter of the path, in the raw query string too', () => {
		const event = httpApiEvent({ path: '/items?limit=1&tenant=acme', query: { limit: '5' } })
		expect(event.rawQueryString).toBe('tenant=acme&limit=5')
		expect(event.queryStringParameters).toEqual({ tenant: 'acme', limit: '5' })
	})

	it('keeps a malformed percent-escape as sent, and reads a path of only a query as /', () => {
		const event = httpApiEvent({ path: '?q=100%&tenant=a%zz' })
		expect(event.rawPath).toBe('/')
		expect(event.queryStringParameters).toEqual({ q: '100%', tenant: 'a%zz' })
	})
})
