import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type LocalIdentityProvider, startIdentityProvider } from '@tenantry/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fakeClock, pipeline } from './helpers.js'

let idp: LocalIdentityProvider
let clock: ReturnType<typeof fakeClock>
const claims = { sub: 'user-1', aud: 'api', tenant_id: 'acme' }

beforeEach(async () => {
	clock = fakeClock()
	idp = await startIdentityProvider({ now: clock.now })
})
afterEach(() => idp.stop())

const refetchedFlags = (logged: unknown[]) =>
	logged
		.map((e) => (e as { cause?: { code?: string; refetched?: unknown } }).cause)
		.filter((cause) => cause?.code === 'jwt_unknown_kid')
		.map((cause) => cause?.refetched)

describe('cause.refetched of an unknown kid', () => {
	it('is not true for a request that joined a JWKS fetch requested before it started', async () => {
		// A JWKS endpoint that answers with the document as it was when the request reached it,
		// but only once released (a slow IdP / network).
		let hold = false
		let pending: { res: ServerResponse; document: unknown }[] = []
		let received = 0
		const server = createServer((_req, res) => {
			received++
			const document = idp.jwks()
			if (!hold) {
				res.writeHead(200, { 'content-type': 'application/json' })
				res.end(JSON.stringify(document))
			} else pending.push({ res, document })
		})
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		const { port } = server.address() as AddressInfo
		try {
			const run = pipeline({
				issuers: {
					issuer: idp.issuer,
					audience: 'api',
					jwksUri: `http://127.0.0.1:${port}/jwks.json`,
				},
				prefetch: false,
				verifiedTokenCache: false,
				now: clock.now,
			})
			expect((await run.withToken(await idp.sign(claims))).statusCode).toBe(200)
			clock.advance(60_000) // past jwks.cooldownMs, within cacheMaxAgeMs

			// Request A (a forged kid) makes jwtAuth refetch the JWKS; the IdP answers with its
			// document as of now, which arrives later.
			hold = true
			const forger = await idp.createKey('ES256', { publish: false })
			const a = run.withToken(await idp.sign(claims, { key: forger }))
			for (let i = 0; i < 200 && received < 2; i++) await new Promise((r) => setTimeout(r, 5))
			expect(received).toBe(2)

			// Meanwhile the IdP rotates in a key and signs with it; request B with such a token
			// starts after that fetch was requested, and joins it.
			const rotated = await idp.createKey('ES256')
			const valid = await idp.sign(claims, { key: rotated })
			clock.advance(1)
			const b = run.withToken(valid)
			await new Promise((r) => setTimeout(r, 20))

			clock.advance(1)
			for (const { res, document } of pending) {
				res.writeHead(200, { 'content-type': 'application/json' })
				res.end(JSON.stringify(document))
			}
			pending = []
			hold = false
			expect((await a).statusCode).toBe(401)
			expect((await b).statusCode).toBe(401)

			// The token B carried is valid: once refetched, it is accepted.
			clock.advance(30_001)
			expect((await run.withToken(valid)).statusCode).toBe(200)

			// A's refusal was against a JWKS fetched for it (true); B's was against a JWKS that the
			// IdP produced before B existed, which cannot say the key is unpublished "now". The
			// tenant-authorizer turns refetched: true into a cached deny (300 s) for a valid token.
			expect(refetchedFlags(run.logged)).toEqual([true, false])
		} finally {
			server.closeAllConnections()
			await new Promise<void>((resolve) => server.close(() => resolve()))
		}
	})

	it('is not true when the clock stepped back after the last JWKS fetch', async () => {
		const run = pipeline({
			issuers: { issuer: idp.issuer, audience: 'api' },
			prefetch: false,
			verifiedTokenCache: false,
			now: clock.now,
		})
		expect((await run.withToken(await idp.sign(claims))).statusCode).toBe(200)
		// A key rotated in after that fetch; then the clock steps back 5 s (NTP step).
		const rotated = await idp.createKey('ES256')
		const valid = await idp.sign(claims, { key: rotated })
		clock.advance(-5_000)
		expect((await run.withToken(valid)).statusCode).toBe(401)
		// No JWKS was fetched for this request (cooldown), so the key may exist: must be false.
		expect(refetchedFlags(run.logged)).toEqual([false])
	})
})
