import { createPublicKey, type JsonWebKey, verify } from 'node:crypto'
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { assembleJwt, type LocalIdentityProvider, startIdentityProvider } from '../src/index.js'

let idp: LocalIdentityProvider

beforeAll(async () => {
	idp = await startIdentityProvider()
})
afterAll(() => idp.stop())
beforeEach(() => {
	idp.faults.clear()
	idp.resetCalls()
})

const fetchJson = async (url: string) => {
	const response = await fetch(url)
	return { status: response.status, body: await response.text() }
}

describe('local identity provider', () => {
	it('serves discovery and a JWKS with RS256 and ES256 signing keys', async () => {
		const discovery = JSON.parse((await fetchJson(idp.discoveryUri)).body)
		expect(discovery).toMatchObject({ issuer: idp.issuer, jwks_uri: idp.jwksUri })
		const { keys } = JSON.parse((await fetchJson(idp.jwksUri)).body)
		expect(
			keys.map((key: { alg: string; use: string; kty: string }) => [key.alg, key.use, key.kty]),
		).toEqual([
			['RS256', 'sig', 'RSA'],
			['ES256', 'sig', 'EC'],
		])
		expect(keys.every((key: Record<string, unknown>) => !('d' in key))).toBe(true)
		expect(idp.jwksCalls()).toBe(1)
		expect(idp.discoveryCalls()).toBe(1)
	})

	it('signs tokens that jose verifies against its JWKS', async () => {
		const jwks = createRemoteJWKSet(new URL(idp.jwksUri))
		for (const alg of ['RS256', 'ES256'] as const) {
			const token = await idp.sign(
				{ sub: 'user-1', aud: 'api', 'custom:tenant_id': 'acme' },
				{ alg },
			)
			const { payload, protectedHeader } = await jwtVerify(token, jwks, {
				issuer: idp.issuer,
				audience: 'api',
			})
			expect(protectedHeader.alg).toBe(alg)
			expect(payload).toMatchObject({ sub: 'user-1', 'custom:tenant_id': 'acme', iss: idp.issuer })
			expect(payload.exp).toBe((payload.iat ?? 0) + 3600)
		}
	})

	it('lets tests drop defaults and set hostile headers', async () => {
		const token = await idp.sign(
			{ exp: undefined, iat: undefined },
			{ header: { kid: undefined, jku: 'https://evil' } },
		)
		expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', jku: 'https://evil' })
		const withoutExp = await idp.sign({}, { expiresInSec: null })
		expect(
			JSON.parse(Buffer.from(withoutExp.split('.')[1] ?? '', 'base64url').toString()),
		).not.toHaveProperty('exp')
		expect(assembleJwt({ alg: 'none' }, { sub: 'x' })).toMatch(
			/^eyJhbGciOiJub25lIn0\.eyJzdWIiOiJ4In0\.$/,
		)
	})

	it('rotates keys and signs with unpublished or weak keys on request', async () => {
		const before = idp.jwks().keys.map((key) => key.kid)
		await idp.rotateKeys()
		const after = idp.jwks().keys.map((key) => key.kid)
		expect(after).toHaveLength(2)
		expect(after.some((kid) => before.includes(kid))).toBe(false)
		await idp.rotateKeys({ keepPrevious: true })
		expect(idp.jwks().keys).toHaveLength(4)

		const hidden = await idp.createKey('RS256', { publish: false })
		const token = await idp.sign({}, { key: hidden })
		expect(decodeProtectedHeader(token).kid).toBe(hidden.kid)
		expect(idp.jwks().keys.map((key) => key.kid)).not.toContain(hidden.kid)

		const weak = await idp.createKey('RS256', { modulusLength: 1024, kid: 'weak' })
		expect(Buffer.from(weak.publicJwk.n ?? '', 'base64url').length).toBe(128)
		idp.unpublish('weak')
		expect(idp.jwks().keys.map((key) => key.kid)).not.toContain('weak')
	})

	it('injects outages, slowness, errors and oversized or malformed documents', async () => {
		idp.faults.inject({ type: 'server-error' }, { times: 1 })
		expect((await fetchJson(idp.jwksUri)).status).toBe(500)
		idp.faults.inject(
			{ type: 'oversized', bytes: 300_000 },
			{ times: 1, target: '/.well-known/jwks.json' },
		)
		expect((await fetchJson(idp.jwksUri)).body.length).toBeGreaterThan(300_000)
		idp.faults.inject({ type: 'malformed' }, { times: 1 })
		expect(() => JSON.parse('{"keys": [')).toThrow()
		expect((await fetchJson(idp.jwksUri)).body).toBe('{"keys": [')
		idp.faults.inject({ type: 'down' }, { times: 1 })
		await expect(fetch(idp.jwksUri)).rejects.toThrow()
		idp.faults.inject({ type: 'delay', ms: 300 }, { times: 1 })
		await expect(fetch(idp.jwksUri, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
			name: 'TimeoutError',
		})
		idp.faults.inject({ type: 'respond', status: 200, body: '{"not":"a jwks"}' }, { times: 1 })
		expect((await fetchJson(idp.jwksUri)).body).toBe('{"not":"a jwks"}')
		expect((await fetchJson(idp.jwksUri)).status).toBe(200)
		expect(idp.jwksCalls()).toBe(7)
	})

	it('answers 429 for throttle, 404 for not-found, 403 for access-denied, and a delayed fault late', async () => {
		for (const [type, status] of [
			['throttle', 429],
			['not-found', 404],
			['access-denied', 403],
		] as const) {
			idp.faults.inject({ type }, { times: 1, target: '/.well-known/jwks.json' })
			expect((await fetchJson(idp.jwksUri)).status).toBe(status)
		}
		idp.faults.inject({ type: 'delay', ms: 5, answer: { type: 'not-found' } }, { times: 1 })
		expect((await fetchJson(idp.discoveryUri)).status).toBe(404)
		expect((await fetchJson(idp.jwksUri)).status).toBe(200)
	})

	it('pads an oversized JWKS to 1 MiB unless told the size', async () => {
		idp.faults.inject({ type: 'oversized' }, { times: 1 })
		const { keys, padding } = JSON.parse((await fetchJson(idp.jwksUri)).body)
		expect(padding).toHaveLength(1_048_576)
		expect(keys).toEqual(idp.jwks().keys)
	})
})

describe('requests the identity provider does not serve', () => {
	it('answers 405 to a method other than GET, and 404 to another path', async () => {
		const posted = await fetch(idp.jwksUri, { method: 'POST', body: '{}' })
		expect(posted.status).toBe(405)
		expect((await fetchJson(`${idp.issuer}/.well-known/jwks`)).status).toBe(404)
		expect(idp.jwksCalls()).toBe(1)
	})
})

describe('signing', () => {
	it('signs with an RSA key under 2048 bits, which jose refuses to verify and node:crypto accepts', async () => {
		const weak = await idp.createKey('RS256', { modulusLength: 1024, publish: false })
		const token = await idp.sign({ sub: 'user-1' }, { key: weak })
		expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: weak.kid })
		const [header = '', payload = '', signature = ''] = token.split('.')
		const publicKey = createPublicKey({ key: weak.publicJwk as JsonWebKey, format: 'jwk' })
		expect(
			verify(
				'sha256',
				Buffer.from(`${header}.${payload}`),
				publicKey,
				Buffer.from(signature, 'base64url'),
			),
		).toBe(true)
		expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
			sub: 'user-1',
			iss: idp.issuer,
		})
		await expect(jwtVerify(token, await importJWK(weak.publicJwk, 'RS256'))).rejects.toThrow(/2048/)
	})

	it('makes weak keys for RS* only', async () => {
		await expect(idp.createKey('ES256', { modulusLength: 1024 })).rejects.toThrow(TypeError)
	})

	it('creates and publishes a key for an algorithm it has none for', async () => {
		const own = await startIdentityProvider({ algorithms: ['ES256'] })
		try {
			const token = await own.sign({ sub: 'user-1' })
			const { protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(own.jwksUri)))
			expect(protectedHeader.alg).toBe('RS256')
			expect(own.jwks().keys.map((key) => key.alg)).toEqual(['ES256', 'RS256'])
		} finally {
			await own.stop()
		}
	})

	it('assembles a JWT from a header given as text, as it is', () => {
		const token = assembleJwt('{"alg":', { sub: 'x' }, 'sig')
		expect(token).toBe(`${Buffer.from('{"alg":').toString('base64url')}.eyJzdWIiOiJ4In0.sig`)
	})
})
