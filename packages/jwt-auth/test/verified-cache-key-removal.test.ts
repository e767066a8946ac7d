import { describe, expect, it } from 'vitest'
import type { JwtAuthOptions } from '../src/index.js'
import { expectRejected, identityProviderPerTest, invalidToken, pipeline } from './helpers.js'

const local = identityProviderPerTest()
const claims = { sub: 'user-1', aud: 'api', tenant_id: 'acme' }

const setup = (overrides: Partial<JwtAuthOptions> = {}) =>
	pipeline({
		issuers: { issuer: local.idp.issuer, audience: 'api' },
		prefetch: false,
		now: local.clock.now,
		jwks: { cacheMaxAgeMs: 60_000 },
		...overrides,
	})

describe('verified-token cache and a key removed from the JWKS', () => {
	// A hit counts only while the issuer uses the JWKS the token was verified with: otherwise a
	// token verified just before a refresh would outlive its key's removal by almost another
	// cacheMaxAgeMs, and revoking a compromised key would take twice as long.
	it('refuses a cached token once a refreshed JWKS no longer holds its key', async () => {
		const run = setup()
		expect((await run.withToken(await local.idp.sign(claims))).statusCode).toBe(200) // JWKS fetched at 0 s
		local.clock.advance(59_000)
		// Signed with the key the operator is about to revoke, verified against the 59 s old JWKS.
		const signedWithRevokedKey = await local.idp.sign(claims)
		expect((await run.withToken(signedWithRevokedKey)).statusCode).toBe(200)

		await local.idp.rotateKeys() // the operator removes the key from the JWKS
		local.clock.advance(1_000) // the JWKS is due: the next request loads the new one
		expect((await run.withToken(await local.idp.sign(claims))).statusCode).toBe(200)
		expect(local.idp.jwksCalls()).toBe(2)

		// Verification now refuses that token (no cache: unknown kid) ...
		const uncached = setup({ verifiedTokenCache: false })
		expectRejected(await uncached.withToken(signedWithRevokedKey), 401, invalidToken)
		// ... and so does the cached path, although its entry would live until 119 s.
		local.clock.advance(30_000)
		expectRejected(await run.withToken(signedWithRevokedKey), 401, invalidToken)
		expect(run.seen).toHaveLength(3)
	})
})

describe('verified-token cache and iat', () => {
	// The cache never accepts a token that verification would refuse at that moment: after a
	// clock step back, iat is in the future again (nbf's twin case is in jwt-auth.test.ts).
	it('re-checks iat on a hit when the clock goes back', async () => {
		const run = setup()
		const token = await local.idp.sign(claims) // iat = now
		expect((await run.withToken(token)).statusCode).toBe(200)
		local.clock.advance(-5_000)
		const uncached = setup({ verifiedTokenCache: false })
		expectRejected(await uncached.withToken(token), 401, invalidToken)
		expect(uncached.lastReason()).toBe('jwt_iat_future')
		expectRejected(await run.withToken(token), 401, invalidToken)
	})
})
