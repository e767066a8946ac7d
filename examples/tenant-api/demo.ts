import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import {
	answerOf,
	type DemoSection,
	defineScenario,
	importFunction,
} from '../../scripts/demo-kit.js'

const audience = 'tenant-api'

export default defineScenario(async (stack, load = importFunction): Promise<DemoSection> => {
	await stack.dynamodb.createTable('tenant-items', { ttlAttribute: 'expiresAt' })
	Object.assign(process.env, {
		ISSUER: stack.identityProvider.issuer,
		AUDIENCE: audience,
		DYNAMODB_TABLE_NAME: 'tenant-items',
		TENANT_ROLE_ARN: 'arn:aws:iam::000000000000:role/tenant-data',
		RATE_LIMIT_REQUESTS: '5',
		RATE_LIMIT_WINDOW_SEC: '3600',
	})
	const { handler } = await load('tenant-api', 'handler', () => import('./handler.js'))
	const idp = stack.identityProvider
	const tokenOf = (tenant: string, claims: Record<string, unknown> = {}) =>
		idp.sign({ sub: `user@${tenant}`, aud: audience, tenant_id: tenant, ...claims })
	const tokens = {
		acme: await tokenOf('acme'),
		globex: await tokenOf('globex'),
		initech: await tokenOf('initech'),
	}
	const forger = await idp.createKey('RS256', { publish: false })
	const bearerChallenge = /^Bearer .*error="invalid_token"/
	const limit = Number(process.env.RATE_LIMIT_REQUESTS)

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
		return answerOf(handler(event as APIGatewayProxyEventV2, lambdaContext()))
	}

	return {
		title: 'tenant-api · HTTP API v2 behind an OpenID provider',
		chain:
			'tracer → jwtAuth → tenantIsolation → tenantRateLimit → httpJsonBodyParser → awsClients → httpErrorHandler',
		rows: [
			{
				request: 'PUT /tenants/acme/items/42 as acme',
				why: "acme's token, acme's path: created under acme's prefix with acme's STS session",
				showKeys: true,
				expected: 201,
				run: () => send('PUT', '/tenants/acme/items/42', tokens.acme, { name: 'widget' }),
			},
			{
				request: 'GET /tenants/acme/items/42 as acme',
				why: 'read back from the same tenant-scoped key',
				showKeys: true,
				expected: 200,
				run: () => send('GET', '/tenants/acme/items/42', tokens.acme),
			},
			{
				request: 'PUT /tenants/globex/items/42 as globex',
				why: "same item id, another tenant: a separate key, globex's own session",
				showKeys: true,
				expected: 201,
				run: () => send('PUT', '/tenants/globex/items/42', tokens.globex, { name: 'gadget' }),
			},
			{
				request: 'DELETE /tenants/globex/items/42 as globex',
				why: 'deleted under the caller tenant only',
				showKeys: true,
				expected: 204,
				run: () => send('DELETE', '/tenants/globex/items/42', tokens.globex),
			},
			{
				request: "GET acme's item as globex (other tenant's path)",
				why: 'tenantIsolation: the path names acme, the token globex; refused before any DynamoDB call',
				expected: 403,
				run: () => send('GET', '/tenants/acme/items/42', tokens.globex),
			},
			{
				request: 'GET with a forged token (unknown key)',
				why: 'signed by a key the provider does not publish',
				headers: { 'www-authenticate': bearerChallenge },
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
				why: 'exp a minute ago',
				headers: { 'www-authenticate': bearerChallenge },
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
				why: 'aud "billing", the API expects "tenant-api"',
				headers: { 'www-authenticate': bearerChallenge },
				expected: 401,
				run: async () =>
					send('GET', '/tenants/acme/items/42', await tokenOf('acme', { aud: 'billing' })),
			},
			{
				request: 'GET without a token',
				why: 'no Authorization header: a bare challenge',
				headers: { 'www-authenticate': /^Bearer/ },
				expected: 401,
				run: () => send('GET', '/tenants/acme/items/42', undefined),
			},
			{
				request: 'GET /tenants/acme/items/x#TENANT#globex',
				why: "an item id holding '#' could reach another tenant's key: refused before the item is read",
				expected: 400,
				run: () => send('GET', '/tenants/acme/items/x#TENANT#globex', tokens.acme),
			},
			{
				request: `request ${limit + 1} of initech within the hour (limit ${limit}/h)`,
				expected: 429,
				why: `the ${limit} before it got 404 (no such item), counted in DynamoDB for every container`,
				headers: {
					'ratelimit-limit': new RegExp(`^${limit}$`),
					'ratelimit-remaining': /^0$/,
					'retry-after': /^\d+$/,
				},
				run: async () => {
					for (let i = 1; i <= limit; i++) {
						const { got } = await send('GET', '/tenants/initech/items/none', tokens.initech)
						if (got !== 404) return { got: `request ${i} got ${got}` }
					}
					return send('GET', '/tenants/initech/items/none', tokens.initech)
				},
			},
			{
				request: 'GET as acme while the identity provider is down',
				expected: 200,
				why: 'the signing key is cached from the cold start: no JWKS call needed',
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
