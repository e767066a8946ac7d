import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { defineScenario, statusOf } from '../../scripts/demo-kit.js'

const audience = 'tenant-api'

export default defineScenario(async (stack) => {
	await stack.dynamodb.createTable('tenant-items', { ttlAttribute: 'expiresAt' })
	Object.assign(process.env, {
		ISSUER: stack.identityProvider.issuer,
		AUDIENCE: audience,
		DYNAMODB_TABLE_NAME: 'tenant-items',
		TENANT_ROLE_ARN: 'arn:aws:iam::000000000000:role/tenant-data',
		RATE_LIMIT_REQUESTS: '5',
		RATE_LIMIT_WINDOW_SEC: '3600',
	})
	const { handler } = await import('./handler.js')
	const idp = stack.identityProvider
	const tokenOf = (tenant: string, claims: Record<string, unknown> = {}) =>
		idp.sign({ sub: `user@${tenant}`, aud: audience, tenant_id: tenant, ...claims })
	const tokens = {
		acme: await tokenOf('acme'),
		globex: await tokenOf('globex'),
		initech: await tokenOf('initech'),
	}
	const forger = await idp.createKey('RS256', { publish: false })

	const send = (
		method: string,
		path: string,
		token: string | undefined,
		body?: Record<string, unknown>,
	) => {
		const [, , tenantId = '', , itemId = ''] = path.split('/')
		const event = httpApiEvent({
			method,
			path,
			pathParameters: { tenantId, itemId },
			headers: token ? { authorization: `Bearer ${token}` } : {},
			...(body ? { body } : {}),
		})
		return statusOf(handler(event as APIGatewayProxyEventV2, lambdaContext()))
	}

	return {
		title: 'tenant-api · HTTP API v2 behind an OpenID provider',
		chain:
			'tracer → jwtAuth → tenantIsolation → tenantRateLimit → httpJsonBodyParser → awsClients → httpErrorHandler',
		rows: [
			{
				request: 'PUT /tenants/acme/items/42 as acme',
				expected: 200,
				run: () => send('PUT', '/tenants/acme/items/42', tokens.acme, { name: 'widget' }),
			},
			{
				request: 'GET /tenants/acme/items/42 as acme',
				expected: 200,
				run: () => send('GET', '/tenants/acme/items/42', tokens.acme),
			},
			{
				request: 'PUT /tenants/globex/items/42 as globex',
				expected: 200,
				run: () => send('PUT', '/tenants/globex/items/42', tokens.globex, { name: 'gadget' }),
			},
			{
				request: 'DELETE /tenants/globex/items/42 as globex',
				expected: 204,
				run: () => send('DELETE', '/tenants/globex/items/42', tokens.globex),
			},
			{
				request: "GET acme's item as globex (other tenant's path)",
				expected: 403,
				run: () => send('GET', '/tenants/acme/items/42', tokens.globex),
			},
			{
				request: 'GET with a forged token (unknown key)',
				expected: 401,
				run: async () =>
					send(
						'GET',
						'/tenants/acme/items/42',
						await idp.sign({ sub: 'x', aud: audience, tenant_id: 'acme' }, { key: forger }),
					),
			},
			{
				request: 'GET with an expired token',
				expected: 401,
				run: async () =>
					send(
						'GET',
						'/tenants/acme/items/42',
						await tokenOf('acme', { exp: Math.floor(Date.now() / 1000) - 60 }),
					),
			},
			{
				request: 'GET with a token for another audience',
				expected: 401,
				run: async () =>
					send('GET', '/tenants/acme/items/42', await tokenOf('acme', { aud: 'billing' })),
			},
			{
				request: 'GET without a token',
				expected: 401,
				run: () => send('GET', '/tenants/acme/items/42', undefined),
			},
			{
				request: 'GET /tenants/acme/items/x#TENANT#globex',
				expected: 400,
				run: () => send('GET', '/tenants/acme/items/x#TENANT#globex', tokens.acme),
			},
			{
				request: '6th request of initech within its limit of 5/h',
				expected: 429,
				run: async () => {
					for (let i = 0; i < 5; i++)
						await send('GET', '/tenants/initech/items/none', tokens.initech)
					return send('GET', '/tenants/initech/items/none', tokens.initech)
				},
			},
			{
				request: 'GET as acme while the identity provider is down',
				expected: 200,
				run: async () => {
					idp.faults.inject({ type: 'down' })
					try {
						return await send('GET', '/tenants/acme/items/42', tokens.acme)
					} finally {
						idp.faults.clear()
					}
				},
			},
		],
	}
})
