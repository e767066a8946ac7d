import { type LocalIdentityProvider, startIdentityProvider } from '@tenantry/testing'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { expectRejected, fakeClock, pipeline } from './helpers.js'

let idp: LocalIdentityProvider
let clock: ReturnType<typeof fakeClock>

beforeEach(async () => {
	clock = fakeClock()
	idp = await startIdentityProvider({ now: clock.now })
})
afterEach(() => idp.stop())

/**
 * With several issuers (a Cognito pool and a partner's provider, or two pools on one host) a
 * 503 whose cause says only "JWKS request failed" leaves the on-call to guess which provider is
 * down. The JWKS is configuration, never token data; its query is left out, as a provider may
 * take a key there.
 */
it.each([
	['down', { type: 'down' }, 'jwks_unreachable'],
	['a 5xx', { type: 'server-error' }, 'jwks_http_status'],
	['slow', { type: 'delay', ms: 500 }, 'jwks_timeout'],
	['not a JWKS', { type: 'malformed' }, 'jwks_invalid'],
] as const)('a JWKS that is %s is named in the 503 cause', async (_name, fault, code) => {
	const run = pipeline({
		issuers: { issuer: idp.issuer, audience: 'api', jwksUri: `${idp.jwksUri}?key=do-not-log` },
		jwks: { timeoutMs: 100 },
		prefetch: false,
		now: clock.now,
	})
	const token = await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' })
	idp.faults.inject(fault)
	expectRejected(await run.withToken(token), 503)
	const cause = (run.logged.at(-1) as { cause?: Record<string, unknown> }).cause
	expect(cause).toMatchObject({ code, jwksUri: idp.jwksUri })
	expect(JSON.stringify(cause)).not.toContain('do-not-log')
})
