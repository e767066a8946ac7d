import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
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
})
