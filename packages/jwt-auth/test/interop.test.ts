import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodePart, expectRejected, pipeline } from './helpers.js'

/**
 * A real OAuth 2.0 authorization server (panva's `oidc-provider`, certified OpenID) on
 * loopback, issuing RFC 9068 JWT access tokens through the client credentials grant.
 * Tokens fetched over HTTP from its /token endpoint must pass `jwtAuth` unchanged.
 */
const rsApi = 'https://items.example.com'
const esApi = 'https://reports.example.com'
const client = { id: 'billing-service', secret: 'a-long-enough-client-secret-for-tests' }

let server: Server
let issuer: string

const privateJwk = (type: 'rsa' | 'ec') => {
	const { privateKey } =
		type === 'rsa'
			? generateKeyPairSync('rsa', { modulusLength: 2048 })
			: generateKeyPairSync('ec', { namedCurve: 'P-256' })
	return {
		...privateKey.export({ format: 'jwk' }),
		kid: `${type}-1`,
		use: 'sig',
		alg: type === 'rsa' ? 'RS256' : 'ES256',
	}
}

beforeAll(async () => {
	server = createServer()
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
	const provider = new Provider(issuer, {
		clients: [
			{
				client_id: client.id,
				client_secret: client.secret,
				grant_types: ['client_credentials'],
				redirect_uris: [],
				response_types: [],
				scope: 'items:read items:write reports:read',
			},
		],
		scopes: ['items:read', 'items:write', 'reports:read'],
		ttl: { ClientCredentials: 600 },
		jwks: { keys: [privateJwk('rsa'), privateJwk('ec')] },
		features: {
			devInteractions: { enabled: false },
			clientCredentials: { enabled: true },
			resourceIndicators: {
				enabled: true,
				defaultResource: () => rsApi,
				useGrantedResource: () => true,
				getResourceServerInfo: (_ctx: unknown, resource: string) => ({
					scope: resource === rsApi ? 'items:read items:write' : 'reports:read',
					audience: resource,
					accessTokenFormat: 'jwt',
					jwt: { sign: { alg: resource === rsApi ? 'RS256' : 'ES256' } },
				}),
			},
		},
		extraTokenClaims: () => ({ tenant_id: 'acme' }),
	})
	server.on('request', provider.callback())
})
afterAll(
	() =>
		new Promise<void>((resolve) => {
			server.closeAllConnections()
			server.close(() => resolve())
		}),
)

const accessToken = async (resource: string, scope: string): Promise<string> => {
	const response = await fetch(`${issuer}/token`, {
		method: 'POST',
		headers: {
			authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
			'content-type': 'application/x-www-form-urlencoded',
		},
		body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
	})
	const body = (await response.json()) as { access_token?: string; token_type?: string }
	expect(response.status, JSON.stringify(body)).toBe(200)
	return body.access_token as string
}

const options = (audience: string, requiredScopes: string[]) => ({
	issuers: { issuer, audience, jwksUri: `${issuer}/jwks` },
	typ: 'at+jwt',
	requiredScopes,
})

describe('oidc-provider interop', () => {
	it('accepts an RS256 JWT access token from the client credentials grant', async () => {
		const token = await accessToken(rsApi, 'items:read items:write')
		expect(decodePart(token, 0)).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: 'rsa-1' })
		const run = pipeline(options(rsApi, ['items:read']))
		expect((await run.withToken(token)).statusCode).toBe(200)
		expect(run.seen[0]).toMatchObject({
			method: 'jwt',
			issuer,
			subject: client.id,
			tenantId: 'acme',
			scopes: expect.arrayContaining(['items:read', 'items:write']),
			claims: { client_id: client.id, aud: rsApi },
		})
	})

	it('accepts an ES256 JWT access token for another resource server', async () => {
		const token = await accessToken(esApi, 'reports:read')
		expect(decodePart(token, 0)).toMatchObject({ alg: 'ES256', kid: 'ec-1' })
		const run = pipeline(options(esApi, ['reports:read']))
		expect((await run.withToken(token)).statusCode).toBe(200)
	})

	it('refuses its token at another resource server, and without the required scope', async () => {
		const token = await accessToken(rsApi, 'items:read')
		const elsewhere = pipeline(options(esApi, []))
		expectRejected(await elsewhere.withToken(token), 401)
		expect(elsewhere.lastReason()).toBe('jwt_audience_mismatch')
		const writer = pipeline(options(rsApi, ['items:write']))
		expectRejected(
			await writer.withToken(token),
			403,
			'Bearer realm="api", error="insufficient_scope", scope="items:write"',
		)
	})
})
