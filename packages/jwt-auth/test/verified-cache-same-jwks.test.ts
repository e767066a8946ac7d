import { describe, expect, it, vi } from 'vitest'
import { identityProviderPerTest, pipeline } from './helpers.js'

/** Signatures the middleware checks (`crypto.verify`, which it reads once when loaded). */
const verifications = vi.hoisted(() => {
	const crypto = process.getBuiltinModule('node:crypto')
	const counter = { count: 0 }
	const original = crypto.verify
	crypto.verify = ((...args: unknown[]) => {
		counter.count++
		return (original as (...args: unknown[]) => unknown)(...args)
	}) as typeof original
	return counter
})

const local = identityProviderPerTest()
const claims = { sub: 'user-1', aud: 'api', tenant_id: 'acme' }

const setup = () =>
	pipeline({
		issuers: { issuer: local.idp.issuer, audience: 'api' },
		prefetch: false,
		now: local.clock.now,
		jwks: { cacheMaxAgeMs: 60_000, cooldownMs: 1_000 },
	})

/** The signatures checked while `run` answers. */
const checkedDuring = async (answer: () => Promise<{ statusCode: number }>) => {
	const before = verifications.count
	expect((await answer()).statusCode).toBe(200)
	return verifications.count - before
}

describe('verified-token cache across JWKS refreshes', () => {
	// Every refresh (each cacheMaxAgeMs, and each unknown kid once per cooldownMs, which anyone
	// can send) would otherwise make every cached token's next request a full verification.
	it('keeps cached tokens when a refresh brings the same document', async () => {
		const run = setup()
		expect(await checkedDuring(async () => run.withToken(await local.idp.sign(claims)))).toBe(1)
		// Verified against the 59 s old JWKS, cached until 119 s.
		local.clock.advance(59_000)
		const token = await local.idp.sign(claims)
		expect(await checkedDuring(() => run.withToken(token))).toBe(1)
		local.clock.advance(1_000) // the JWKS is due: the next request fetches the same document
		expect(await checkedDuring(async () => run.withToken(await local.idp.sign(claims)))).toBe(1)
		expect(local.idp.jwksCalls()).toBe(2)
		expect(await checkedDuring(() => run.withToken(token))).toBe(0)

		// Past the cooldown, a token with a kid of its own makes the middleware fetch again: the
		// same document.
		local.clock.advance(1_000)
		const rogue = await local.idp.createKey('RS256', { publish: false })
		const forged = await run.withToken(await local.idp.sign(claims, { key: rogue }))
		expect(forged.statusCode).toBe(401)
		expect(local.idp.jwksCalls()).toBe(3)
		expect(await checkedDuring(() => run.withToken(token))).toBe(0)
	})

	it('verifies cached tokens again once a refresh brings another document, even one keeping their key', async () => {
		const run = setup()
		expect(await checkedDuring(async () => run.withToken(await local.idp.sign(claims)))).toBe(1)
		local.clock.advance(59_000)
		const token = await local.idp.sign(claims)
		expect(await checkedDuring(() => run.withToken(token))).toBe(1)
		await local.idp.createKey('ES256') // published beside the key that signed the token
		local.clock.advance(1_000)
		expect(await checkedDuring(() => run.withToken(token))).toBe(1)
		expect(local.idp.jwksCalls()).toBe(2)
		expect(await checkedDuring(() => run.withToken(token))).toBe(0)
	})
})
