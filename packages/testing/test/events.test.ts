import { describe, expect, it } from 'vitest'
import {
	albEvent,
	functionUrlEvent,
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

	it('builds Function URL events with the $default route', () => {
		expect(functionUrlEvent({ path: '/x' })).toMatchObject({
			routeKey: '$default',
			rawPath: '/x',
			version: '2.0',
		})
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

	it('builds a context whose remaining time counts down', () => {
		const context = lambdaContext({ functionName: 'fn' })
		expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:fn')
		expect(context.getRemainingTimeInMillis()).toBeGreaterThan(29_000)
		expect(lambdaContext().awsRequestId).not.toBe(context.awsRequestId)
	})
})
