import { httpApiAuthorizerEvent, httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda'
import {
	answerOf,
	type DemoSection,
	defineScenario,
	importFunction,
} from '../../scripts/demo-kit.js'

const audience = 'profiles-api'

export default defineScenario(async (stack, load = importFunction): Promise<DemoSection> => {
	await stack.dynamodb.createTable('tenant-profiles')
	Object.assign(process.env, {
		ISSUER: stack.identityProvider.issuer,
		AUDIENCE: audience,
		DYNAMODB_TABLE_NAME: 'tenant-profiles',
	})
	const { handler: authorize } = await load(
		'tenant-authorizer',
		'authorizer',
		() => import('./authorizer.js'),
	)
	const { handler: downstream } = await load(
		'tenant-authorizer',
		'handler',
		() => import('./handler.js'),
	)
	const idp = stack.identityProvider
	const tokenOf = (tenant?: string, scope = 'profile:read') =>
		idp.sign({
			sub: `user@${tenant}`,
			aud: audience,
			scope,
			...(tenant ? { tenant_id: tenant } : {}),
		})
	// The attacker's own key under the kid of a published one: an unknown kid is answered with an
	// error, not a deny, since it may be a key the provider just rotated in (see the README).
	const publishedKid = idp.jwks().keys.find((key) => key.alg === 'ES256')?.kid
	const forger = await idp.createKey('ES256', { kid: publishedKid, publish: false })

	type Decision = { isAuthorized: boolean; context?: { tenant_id?: string } }
	const decide = async (token: string, path = '/tenants/acme/profile'): Promise<Decision> =>
		(await authorize(
			httpApiAuthorizerEvent({
				method: 'GET',
				path,
				headers: { authorization: `Bearer ${token}` },
			}) as APIGatewayRequestAuthorizerEventV2,
			lambdaContext(),
		)) as Decision
	const describe = (decision: Decision) =>
		decision.isAuthorized ? `allow ${decision.context?.tenant_id}` : 'deny'
	/** What API Gateway does: authorize, then call the downstream function with the decision's context. */
	const throughGateway = async (token: string, tenantInPath: string) => {
		const decision = await decide(token, `/tenants/${tenantInPath}/profile`)
		// API Gateway's own 403: told apart from the downstream function's.
		if (!decision.isAuthorized) return 'authorizer deny (403)'
		const event = httpApiEvent({
			method: 'GET',
			path: `/tenants/${tenantInPath}/profile`,
			pathParameters: { tenantId: tenantInPath },
			authorizer: { lambda: decision.context ?? {} },
		})
		return answerOf(downstream(event as never, lambdaContext()))
	}

	const acmeToken = await tokenOf('acme')

	return {
		title: 'tenant-authorizer · HTTP API Lambda authorizer + downstream function',
		chain:
			'authorizer: jwtAuth → simple response · downstream: tenantIsolation (authorizer.lambda.tenant_id) → awsClients → httpErrorHandler',
		rows: [
			{
				request: 'authorize a token of acme',
				why: 'a valid token: allowed, with its tenant in the context API Gateway passes on',
				expected: 'allow acme',
				run: async () => describe(await decide(acmeToken)),
			},
			{
				request: 'GET /tenants/acme/profile with it',
				why: "the downstream function takes the tenant from the authorizer's context",
				showKeys: true,
				expected: 200,
				run: () => throughGateway(acmeToken, 'acme'),
			},
			{
				request: 'GET /tenants/globex/profile as globex',
				why: "globex's own profile key",
				showKeys: true,
				expected: 200,
				run: async () => throughGateway(await tokenOf('globex'), 'globex'),
			},
			{
				request: 'GET /tenants/acme/profile as globex',
				why: 'allowed by the authorizer, refused downstream: the path names acme, the context globex',
				expected: 403,
				run: async () => throughGateway(await tokenOf('globex'), 'acme'),
			},
			{
				request: 'GET /tenants/acme/profile, token without profile:read',
				why: 'allowed by the authorizer (its decision serves every route), refused downstream for the scope',
				expected: 403,
				run: async () => throughGateway(await tokenOf('acme', 'profile:write'), 'acme'),
			},
			{
				request: 'authorize a forged token',
				why: "a published kid, the attacker's key: the signature does not verify",
				expected: 'deny',
				run: async () =>
					describe(
						await decide(
							await idp.sign({ sub: 'x', aud: audience, tenant_id: 'acme' }, { key: forger }),
						),
					),
			},
			{
				request: 'authorize a token without a tenant',
				why: 'no tenant_id claim: nothing to isolate by',
				expected: 'deny',
				run: async () => describe(await decide(await tokenOf())),
			},
		],
	}
})
