import { createPublicKey, verify as cryptoVerify, webcrypto } from 'node:crypto'
import type { Request } from '@middy/core'
import { httpApiEvent, lambdaContext, startIdentityProvider } from '@tenantry/testing'
import { JwtVerifier } from 'aws-jwt-verify'
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda'
import { createVerifier } from 'fast-jwt'
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose'
import { defineBench } from '../../../scripts/bench-kit.js'
import { type JwtAuth, jwtAuth } from '../src/index.js'

/**
 * A pool larger than the verified-token cache (1,000 entries by default) cycled in order:
 * the LRU then misses on every token, so "new token" figures include our cache's cost
 * (hash, lookup, store) without ever profiting from it.
 */
const poolSize = 2_000
const audience = 'api'

type BenchRequest = Request<APIGatewayProxyEventV2, unknown, Error, Context & { auth: JwtAuth }>

export default defineBench(async () => {
	const idp = await startIdentityProvider({ algorithms: ['RS256', 'ES256'] })
	const middleware = jwtAuth({ issuers: { issuer: idp.issuer, audience } })
	const before = middleware.before as (request: BenchRequest) => unknown
	const requestFor = (token: string): BenchRequest => ({
		event: httpApiEvent({ headers: { authorization: `Bearer ${token}` } }),
		context: lambdaContext() as Context & { auth: JwtAuth },
		response: undefined,
		error: undefined,
		internal: {},
	})

	const awsVerifier = JwtVerifier.create({ issuer: idp.issuer, audience, jwksUri: idp.jwksUri })
	awsVerifier.cacheJwks(idp.jwks() as never)
	const joseKeys = createLocalJWKSet(idp.jwks())

	const pools = new Map<'RS256' | 'ES256', { tokens: string[]; requests: BenchRequest[] }>()
	for (const alg of ['RS256', 'ES256'] as const) {
		const tokens: string[] = []
		for (let index = 0; index < poolSize; index++)
			tokens.push(
				await idp.sign({ sub: `user-${index}`, aud: audience, tenant_id: 'acme' }, { alg }),
			)
		pools.set(alg, { tokens, requests: tokens.map(requestFor) })
	}
	// Load the JWKS and prove the warm path is synchronous, as the figures assume.
	for (const { requests } of pools.values()) {
		await before(requests[0] as BenchRequest)
		if (before(requests[1] as BenchRequest) instanceof Promise)
			throw new Error('warm path is not synchronous')
	}

	let sink = 0
	const newTokenComparison = (alg: 'RS256' | 'ES256') => {
		const { tokens, requests } = pools.get(alg) as { tokens: string[]; requests: BenchRequest[] }
		let ours = 0
		let aws = 0
		let jose = 0
		return {
			name: `${alg}, new token each time (our token cache on, always missing)`,
			ours: () => {
				const request = requests[ours++ % poolSize] as BenchRequest
				before(request)
				sink += request.context.auth.subject.length
			},
			peers: [
				{
					name: 'aws-jwt-verify verifySync',
					run: () => {
						sink += awsVerifier.verifySync(tokens[aws++ % poolSize] as string).sub?.length ?? 0
					},
					target: 1.2,
				},
				{
					name: 'jose jwtVerify (local JWKS)',
					run: async () => {
						const { payload } = await jwtVerify(tokens[jose++ % poolSize] as string, joseKeys, {
							issuer: idp.issuer,
							audience,
							requiredClaims: ['exp'],
						})
						sink += payload.sub?.length ?? 0
					},
					target: 1,
				},
			],
		}
	}

	const sameTokenComparison = (alg: 'RS256' | 'ES256') => {
		const { tokens, requests } = pools.get(alg) as { tokens: string[]; requests: BenchRequest[] }
		const token = tokens[0] as string
		const request = requests[0] as BenchRequest
		const jwk = idp.jwks().keys.find((key: JWK) => key.alg === alg) as JWK
		const fastVerify = createVerifier({
			key: createPublicKey({ key: jwk as never, format: 'jwk' }).export({
				type: 'spki',
				format: 'pem',
			}) as string,
			algorithms: [alg],
			allowedIss: idp.issuer,
			allowedAud: audience,
			cache: true,
		})
		return {
			name: `${alg}, same token repeated (token caches on)`,
			ours: () => {
				before(request)
				sink += request.context.auth.subject.length
			},
			peers: [
				{
					name: 'fast-jwt (cache: true)',
					run: () => {
						sink += (fastVerify(token) as { sub: string }).sub.length
					},
					target: 1.5,
				},
			],
		}
	}

	/**
	 * The choice behind our verifier, without any JWT work around it: `crypto.verify` with a
	 * `KeyObject` built once, against `crypto.subtle.verify` with a `CryptoKey`, which is what
	 * jose does on Node. No target: it explains the figures above.
	 */
	const signatureOnlyComparison = async (alg: 'RS256' | 'ES256') => {
		const token = (pools.get(alg) as { tokens: string[] }).tokens[0] as string
		const dot = token.lastIndexOf('.')
		const data = Buffer.from(token.slice(0, dot))
		const signature = Buffer.from(token.slice(dot + 1), 'base64url')
		const jwk = idp.jwks().keys.find((key: JWK) => key.alg === alg) as webcrypto.JsonWebKey
		const keyObject = createPublicKey({ key: jwk as never, format: 'jwk' })
		const webAlgorithm =
			alg === 'RS256'
				? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
				: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
		const cryptoKey = await webcrypto.subtle.importKey('jwk', jwk, webAlgorithm, false, ['verify'])
		const nodeKey =
			alg === 'RS256' ? keyObject : { key: keyObject, dsaEncoding: 'ieee-p1363' as const }
		return {
			name: `${alg}, signature only: node:crypto KeyObject (our path)`,
			ours: () => {
				sink += cryptoVerify('sha256', data, nodeKey, signature) ? 1 : 0
			},
			peers: [
				{
					name: "WebCrypto subtle.verify (jose's path)",
					run: async () => {
						sink += (await webcrypto.subtle.verify(webAlgorithm, cryptoKey, signature, data))
							? 1
							: 0
					},
				},
			],
		}
	}

	return {
		comparisons: [
			newTokenComparison('RS256'),
			newTokenComparison('ES256'),
			sameTokenComparison('RS256'),
			sameTokenComparison('ES256'),
			await signatureOnlyComparison('RS256'),
			await signatureOnlyComparison('ES256'),
		],
		teardown: async () => {
			if (sink < 0) console.log(sink)
			await idp.stop()
		},
	}
})
