import { type LocalIdentityProvider, startIdentityProvider } from '@tenantry/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { expectRejected, fakeClock, pipeline } from './helpers.js'

let idp: LocalIdentityProvider
let clock: ReturnType<typeof fakeClock>
const claims = { sub: 'user-1', aud: 'api', tenant_id: 'acme' }

beforeEach(async () => {
	clock = fakeClock()
	idp = await startIdentityProvider({ now: clock.now })
	idp.resetCalls()
})
afterEach(() => idp.stop())

/** Lets the event loop run until `condition` holds (a prefetch needs a few turns). */
const until = async (condition: () => boolean) => {
	for (let turn = 0; turn < 200 && !condition(); turn++)
		await new Promise((resolve) => setTimeout(resolve, 5))
	expect(condition()).toBe(true)
}

// README, jwks.failureBackoffMs: "after a failed fetch, no new fetch for this long (requests get
// a fast 503 or the stale keys)". The resolver: "After a failed fetch nothing is fetched for
// failureBackoffMs: requests that need keys get a fast 503 ... instead of each waiting out a
// timeout". The cold-start prefetch's failure now leaves no backoff whatever the cause, so
// behind an identity provider that hangs at cold start the requests right after the first one
// wait out jwks.timeoutMs a second time (with Lambda's default 3 s function timeout and the
// default 3 s jwks.timeoutMs: a timed-out invocation instead of the fast 503).
describe('a cold-start JWKS prefetch that fails because the identity provider is down', () => {
	it('leaves the failure backoff: the next request gets a fast 503, not a second fetch', async () => {
		const token = await idp.sign(claims)
		idp.faults.inject({ type: 'delay', ms: 10_000 }) // hangs, longer than timeoutMs
		const run = pipeline({
			issuers: { issuer: idp.issuer, audience: 'api' },
			jwks: { timeoutMs: 200, failureBackoffMs: 60_000 },
			now: clock.now,
		})
		await until(() => idp.jwksCalls() === 1) // the prefetch reached the hanging IdP
		// The first request joins the prefetch and gets its 503 once it times out.
		const first = await run.withToken(token)
		expectRejected(first, 503)
		expect(run.lastReason()).toBe('jwks_timeout')
		expect(first.headers['Retry-After']).toBe('60')

		// Well inside failureBackoffMs (no time has passed on the injected clock): Managed
		// Instances run these at once, an on-demand sandbox one after the other.
		const next = await Promise.all(Array.from({ length: 5 }, () => run.withToken(token)))
		for (const outcome of next) expectRejected(outcome, 503)
		expect(idp.jwksCalls()).toBe(1)
	})

	it('leaves the failure backoff after a throttled (429) prefetch too', async () => {
		const token = await idp.sign(claims)
		// The IdP throttles the prefetch (a moment late, so the first request joins it), and keeps throttling.
		idp.faults.inject({ type: 'delay', ms: 300, answer: { type: 'throttle' } })
		const run = pipeline({
			issuers: { issuer: idp.issuer, audience: 'api' },
			jwks: { failureBackoffMs: 60_000 },
			now: clock.now,
		})
		await until(() => idp.jwksCalls() === 1)
		expectRejected(await run.withToken(token), 503)
		expect(run.lastReason()).toBe('jwks_http_status')
		// Within failureBackoffMs: no new fetch (a throttling IdP is not asked again at once by
		// every sandbox that just cold-started).
		expectRejected(await run.withToken(token), 503)
		expect(idp.jwksCalls()).toBe(1)
	})
})
