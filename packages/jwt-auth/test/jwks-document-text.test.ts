import { describe, expect, it } from 'vitest'
import { identityProviderPerTest, pipeline } from './helpers.js'

const local = identityProviderPerTest()
const claims = { sub: 'user-1', aud: 'api', tenant_id: 'acme' }

describe('a JWKS whose document cannot be written back as text', () => {
	// RFC 7517 section 5: members of a JWK Set that are not understood are ignored. A deeply
	// nested one parses (JSON.parse does not recurse) within maxBytes, but JSON.stringify of the
	// parsed document overflows the stack: that is no reason to refuse the issuer's keys, nor a
	// failure of this process rather than of the issuer.
	it('still uses its keys', async () => {
		const depth = 100_000
		const body = `{"keys":${JSON.stringify(local.idp.jwks().keys)},"x-extension":${'['.repeat(depth)}${']'.repeat(depth)}}`
		expect(Buffer.byteLength(body)).toBeLessThan(262_144)
		local.idp.faults.inject({ type: 'respond', status: 200, body })
		const run = pipeline({
			issuers: { issuer: local.idp.issuer, audience: 'api' },
			prefetch: false,
			now: local.clock.now,
		})
		const outcome = await run.withToken(await local.idp.sign(claims))
		expect(outcome.statusCode).toBe(200)
		// Refreshed with the same document: its keys still work.
		local.clock.advance(600_000)
		expect((await run.withToken(await local.idp.sign(claims))).statusCode).toBe(200)
		expect(local.idp.jwksCalls()).toBe(2)
	})
})
