import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type LocalIdentityProvider, startIdentityProvider } from '@tenantry/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JwtAuthOptions } from '../src/index.js'
import {
	expectRejected,
	fakeClock,
	invalidToken,
	pipeline,
	privateKeyOf,
	serveJwks,
	signWith,
} from './helpers.js'

let idp: LocalIdentityProvider
let clock: ReturnType<typeof fakeClock>

const day = 86_400
const claims = { sub: 'user-1', aud: 'api', tenant_id: 'acme' }
const token = (options: Parameters<LocalIdentityProvider['sign']>[1] = {}) =>
	idp.sign(claims, { expiresInSec: day, ...options })

const setup = (overrides: Partial<JwtAuthOptions> = {}) =>
	pipeline({
		issuers: { issuer: idp.issuer, audience: 'api' },
		prefetch: false,
		now: clock.now,
		...overrides,
	})

/** Lets the event loop run until `condition` holds (a prefetch needs a few turns). */
const until = async (condition: () => boolean) => {
	for (let turn = 0; turn < 200 && !condition(); turn++)
		await new Promise((resolve) => setTimeout(resolve, 5))
	expect(condition()).toBe(true)
}

beforeEach(async () => {
	clock = fakeClock()
	idp = await startIdentityProvider({ now: clock.now })
	idp.resetCalls()
})
afterEach(() => idp.stop())

describe('JWKS cache', () => {
	it('fetches at factory time when prefetch is on, and not again for the first request', async () => {
		const run = setup({ prefetch: true })
		await until(() => idp.jwksCalls() === 1)
		expect((await run.withToken(await token())).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(1)
	})

	it('does not fetch before the first request when prefetch is off', async () => {
		const run = setup()
		await new Promise((resolve) => setTimeout(resolve, 50))
		expect(idp.jwksCalls()).toBe(0)
		expect((await run.withToken(await token())).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(1)
	})

	it('shares one fetch between 50 concurrent cold requests', async () => {
		const run = setup()
		const tokens = await Promise.all(Array.from({ length: 50 }, () => token()))
		const outcomes = await Promise.all(tokens.map((t) => run.withToken(t)))
		expect(outcomes.every((outcome) => outcome.statusCode === 200)).toBe(true)
		expect(idp.jwksCalls()).toBe(1)
	})

	it('refetches once per cacheMaxAgeMs', async () => {
		const run = setup({ jwks: { cacheMaxAgeMs: 60_000 } })
		expect((await run.withToken(await token())).statusCode).toBe(200)
		clock.advance(59_999)
		expect((await run.withToken(await token())).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(1)
		clock.advance(1)
		const later = await Promise.all(Array.from({ length: 10 }, () => token()))
		await Promise.all(later.map((t) => run.withToken(t)))
		expect(idp.jwksCalls()).toBe(2)
	})

	it('stops using a key removed from the JWKS once the cache refreshes', async () => {
		const run = setup({ jwks: { cacheMaxAgeMs: 60_000 }, verifiedTokenCache: false })
		const old = await token()
		expect((await run.withToken(old)).statusCode).toBe(200)
		await idp.rotateKeys()
		clock.advance(60_000)
		expectRejected(await run.withToken(old), 401)
		expect(run.lastReason()).toBe('jwt_unknown_kid')
	})
})

describe('key rotation and unknown kids', () => {
	it('picks up a new kid with one refetch once the cooldown has passed', async () => {
		const run = setup({ jwks: { cooldownMs: 30_000 } })
		expect((await run.withToken(await token())).statusCode).toBe(200)
		await idp.rotateKeys({ keepPrevious: true })
		clock.advance(30_000)
		const rotated = await token()
		expect((await run.withToken(rotated)).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(2)
		expect((await run.withToken(await token({ alg: 'ES256' }))).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(2)
	})

	it('does not refetch within the cooldown, so a rotation shows only after it', async () => {
		const run = setup({ jwks: { cooldownMs: 30_000 } })
		expect((await run.withToken(await token())).statusCode).toBe(200)
		await idp.rotateKeys()
		clock.advance(29_999)
		const rotated = await token()
		expectRejected(await run.withToken(rotated), 401)
		expect(run.lastReason()).toBe('jwt_unknown_kid')
		// Says that the key may exist, since no refetch was due (an authorizer should not cache it).
		expect(run.logged.at(-1)).toMatchObject({ cause: { refetched: false } })
		expect(idp.jwksCalls()).toBe(1)
		clock.advance(1)
		expect((await run.withToken(rotated)).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(2)
	})

	it('answers a flood of 200 unknown kids with at most one refetch per cooldown', async () => {
		const run = setup({ jwks: { cooldownMs: 30_000 } })
		expect((await run.withToken(await token())).statusCode).toBe(200)
		const unknown = await Promise.all(
			Array.from({ length: 200 }, async () =>
				token({ key: await idp.createKey('ES256', { publish: false }) }),
			),
		)
		clock.advance(30_000)
		const concurrent = await Promise.all(unknown.map((t) => run.withToken(t)))
		expect(concurrent.every((outcome) => outcome.statusCode === 401)).toBe(true)
		expect(idp.jwksCalls()).toBe(2)
		// The request that caused the refetch was refused against a JWKS fetched for it; the others
		// joined a fetch requested before they came, which cannot speak for what is published now.
		const refetched = run.logged.map(
			(error) => (error as { cause?: { refetched?: boolean } }).cause?.refetched,
		)
		expect(refetched.filter((value) => value === true)).toHaveLength(1)

		clock.advance(10_000)
		for (const t of unknown) expect((await run.withToken(t)).statusCode).toBe(401)
		expect(idp.jwksCalls()).toBe(2)

		clock.advance(20_000)
		await Promise.all(unknown.map((t) => run.withToken(t)))
		expect(idp.jwksCalls()).toBe(3)
		expect(run.seen).toHaveLength(1)
	})
})

describe('JWKS unavailable', () => {
	const expectUnavailable = async (run: ReturnType<typeof setup>, reason: string) => {
		const outcome = await run.withToken(await token())
		expectRejected(outcome, 503)
		expect(outcome.headers['Retry-After']).toBe('1')
		expect(outcome.headers['WWW-Authenticate']).toBeUndefined()
		expect(run.lastReason()).toBe(reason)
		expect(run.seen).toEqual([])
	}

	it('answers 503 with Retry-After when the issuer is down', async () => {
		idp.faults.inject({ type: 'down' })
		await expectUnavailable(setup(), 'jwks_unreachable')
	})

	it('answers 503 on a 5xx', async () => {
		idp.faults.inject({ type: 'server-error' })
		await expectUnavailable(setup(), 'jwks_http_status')
	})

	it('answers 503 on any status but 200', async () => {
		idp.faults.inject({ type: 'not-found' })
		await expectUnavailable(setup(), 'jwks_http_status')
	})

	it.each([201, 203, 301, 302, 307])(
		'answers 503 on a %d carrying the JWKS itself: redirects are not followed, only a 200 is read',
		async (status) => {
			// A redirect's body is whatever the redirecting server chose; a 2xx other than 200 is not
			// the document itself. Only the configured URI's 200 is the issuer's key set.
			const body = JSON.stringify(idp.jwks())
			idp.faults.inject({
				type: 'respond',
				status,
				body,
				headers: { 'content-type': 'application/json', location: 'https://elsewhere.example/' },
			})
			await expectUnavailable(setup(), 'jwks_http_status')
		},
	)

	it('answers 503 when the JWKS is slower than timeoutMs', async () => {
		idp.faults.inject({ type: 'delay', ms: 2_000 })
		await expectUnavailable(setup({ jwks: { timeoutMs: 100 } }), 'jwks_timeout')
	})

	it('answers 503 when the JWKS declares more than maxBytes', async () => {
		idp.faults.inject({ type: 'oversized', bytes: 300_000 })
		await expectUnavailable(setup(), 'jwks_too_large')
	})

	it('accepts a JWKS of exactly maxBytes (the limit is inclusive)', async () => {
		const body = JSON.stringify(idp.jwks())
		idp.faults.inject({
			type: 'respond',
			status: 200,
			body,
			headers: {
				'content-type': 'application/json',
				'content-length': String(Buffer.byteLength(body)),
			},
		})
		const outcome = await setup({ jwks: { maxBytes: Buffer.byteLength(body) } }).withToken(
			await token(),
		)
		expect(outcome.statusCode).toBe(200)
	})

	it('answers 503 on a body that does not parse', async () => {
		idp.faults.inject({ type: 'malformed' })
		await expectUnavailable(setup(), 'jwks_invalid')
	})

	it('answers 503 on JSON that is not a JWKS', async () => {
		idp.faults.inject({ type: 'respond', status: 200, body: '{"not":"a jwks"}' })
		await expectUnavailable(setup(), 'jwks_invalid')
	})

	it('uses a custom Retry-After from failureBackoffMs', async () => {
		idp.faults.inject({ type: 'down' })
		const outcome = await setup({ jwks: { failureBackoffMs: 5_000 } }).withToken(await token())
		expect(outcome.headers['Retry-After']).toBe('5')
	})

	it('rounds a Retry-After from failureBackoffMs up, never asking for a retry within the backoff', async () => {
		// A retry sent after 1 s of a 1.5 s backoff would only meet the backoff's 503 again.
		idp.faults.inject({ type: 'down' })
		const outcome = await setup({ jwks: { failureBackoffMs: 1_500 } }).withToken(await token())
		expect(outcome.statusCode).toBe(503)
		expect(outcome.headers['Retry-After']).toBe('2')
	})

	it('does not fetch again within failureBackoffMs, then recovers', async () => {
		const run = setup({ jwks: { failureBackoffMs: 2_000 } })
		idp.faults.inject({ type: 'server-error' }, { times: 1 })
		expectRejected(await run.withToken(await token()), 503)
		clock.advance(1_999)
		expectRejected(await run.withToken(await token()), 503)
		expect(idp.jwksCalls()).toBe(1)
		clock.advance(1)
		expect((await run.withToken(await token())).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(2)
	})

	it('keeps serving an expired JWKS for staleIfErrorMs while refreshes fail, then 503', async () => {
		const run = setup({
			jwks: { cacheMaxAgeMs: 60_000, staleIfErrorMs: 600_000, failureBackoffMs: 1_000 },
		})
		expect((await run.withToken(await token())).statusCode).toBe(200)
		idp.faults.inject({ type: 'down' })
		clock.advance(60_000)
		expect((await run.withToken(await token())).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(2)
		// Within the backoff, the old keys are used without another attempt.
		expect((await run.withToken(await token())).statusCode).toBe(200)
		expect(idp.jwksCalls()).toBe(2)
		clock.advance(599_999)
		expect((await run.withToken(await token())).statusCode).toBe(200)
		clock.advance(1)
		expectRejected(await run.withToken(await token()), 503)
		idp.faults.clear()
		clock.advance(1_000)
		expect((await run.withToken(await token())).statusCode).toBe(200)
	})

	it('answers 503 for an unknown kid when the refetch fails, even with old keys at hand', async () => {
		const run = setup({ jwks: { cooldownMs: 1_000 } })
		expect((await run.withToken(await token())).statusCode).toBe(200)
		idp.faults.inject({ type: 'down' })
		clock.advance(1_000)
		const unknown = await token({ key: await idp.createKey('RS256', { publish: false }) })
		expectRejected(await run.withToken(unknown), 503)
		expect(run.lastReason()).toBe('jwks_unreachable')
		// Tokens of known keys are still verified meanwhile.
		expect((await run.withToken(await token())).statusCode).toBe(200)
	})
})

describe('JWKS entries', () => {
	const signedBy = (key: KeyObject, alg: string, kid: string) => {
		const now = Math.floor(clock.now() / 1000)
		return signWith({ alg, kid }, { ...claims, iss: idp.issuer, iat: now, exp: now + 600 }, key)
	}
	const okp = (type: 'ed448' | 'x25519', kid: string) => {
		const { privateKey, publicKey } = generateKeyPairSync(type as 'ed448')
		return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' } }
	}

	it('skips entries that are not JSON objects and verifies with the keys beside them', async () => {
		const [rsa] = idp.jwks().keys
		serveJwks(idp, { keys: [null, 42, 'key', [rsa], rsa] })
		const run = setup()
		expect((await run.withToken(await token())).statusCode).toBe(200)
	})

	it('verifies EdDSA under an Ed448 key, and refuses an X25519 key, which cannot sign', async () => {
		const ed448 = okp('ed448', 'ed448')
		const x25519 = okp('x25519', 'x25519')
		serveJwks(idp, { keys: [ed448.jwk, { ...x25519.jwk, alg: 'EdDSA' }] })
		const run = setup()
		expect((await run.withToken(signedBy(ed448.privateKey, 'EdDSA', 'ed448'))).statusCode).toBe(200)
		// Signed by an Ed25519 key: only the X25519 key's refusal says why it never verifies.
		const ed25519 = generateKeyPairSync('ed25519').privateKey
		const outcome = await run.withToken(signedBy(ed25519, 'EdDSA', 'x25519'))
		expectRejected(outcome, 401, invalidToken)
		expect(run.lastReason()).toBe('jwt_key_rejected')
		expect((run.logged.at(-1) as Error).cause).toMatchObject({
			message: expect.stringContaining('OKP curve is not a signature curve'),
		})
		expect(run.seen.map((auth) => auth.tenantId)).toEqual(['acme'])
	})

	it("tries every key a kid lists for the token's alg, passing over its keys for other algs", async () => {
		const [rsa, ec] = await Promise.all([idp.createKey('RS256'), idp.createKey('ES256')])
		const other = await idp.createKey('RS256', { publish: false })
		serveJwks(idp, {
			keys: [ec.publicJwk, rsa.publicJwk, other.publicJwk].map((jwk) => ({
				...jwk,
				kid: 'shared',
			})),
		})
		const run = setup()
		for (const key of [other, rsa])
			expect((await run.withToken(signedBy(privateKeyOf(key), 'RS256', 'shared'))).statusCode).toBe(
				200,
			)
		expect((await run.withToken(signedBy(privateKeyOf(ec), 'ES256', 'shared'))).statusCode).toBe(
			200,
		)
	})
})

describe('JWKS transport limits', () => {
	const serve = async (handler: Parameters<typeof createServer>[1]) => {
		const server = createServer(handler)
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		const { port } = server.address() as AddressInfo
		return {
			url: `http://127.0.0.1:${port}/jwks.json`,
			close: () =>
				new Promise<void>((resolve) => {
					server.closeAllConnections()
					server.close(() => resolve())
				}),
		}
	}

	it('stops reading a chunked body at maxBytes', async () => {
		let written = 0
		const server = await serve((_request, response) => {
			response.writeHead(200, { 'content-type': 'application/json' })
			response.write('{"keys":[],"padding":"')
			const chunk = 'x'.repeat(16_384)
			const pump = () => {
				while (written < 4_000_000 && response.write(chunk)) written += chunk.length
				if (written < 4_000_000) response.once('drain', pump)
				else response.end('"}')
			}
			pump()
		})
		const run = setup({
			issuers: { issuer: idp.issuer, audience: 'api', jwksUri: server.url },
			jwks: { maxBytes: 65_536 },
		})
		expectRejected(await run.withToken(await token()), 503)
		expect(run.lastReason()).toBe('jwks_too_large')
		expect(written).toBeLessThan(4_000_000)
		await server.close()
	})

	it('speaks TLS to an https: JWKS URI', async () => {
		// The issuer's own port, over https: a TLS handshake with a plain HTTP server fails.
		const jwksUri = idp.jwksUri.replace(/^http:/, 'https:')
		const run = setup({ issuers: { issuer: idp.issuer, audience: 'api', jwksUri } })
		expectRejected(await run.withToken(await token()), 503)
		expect(run.lastReason()).toBe('jwks_unreachable')
	})

	it('does not follow redirects', async () => {
		const server = await serve((_request, response) => {
			response.writeHead(302, { location: idp.jwksUri }).end()
		})
		const run = setup({ issuers: { issuer: idp.issuer, audience: 'api', jwksUri: server.url } })
		expectRejected(await run.withToken(await token()), 503)
		expect(idp.jwksCalls()).toBe(0)
		await server.close()
	})
})
