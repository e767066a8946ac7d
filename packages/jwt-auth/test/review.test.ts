import { type LocalIdentityProvider, restApiEvent, startIdentityProvider } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pipeline } from './helpers.js'

// Security review: each test below failed on the reviewed code, one defect each, and now guards
// its fix.

let idp: LocalIdentityProvider

beforeAll(async () => {
	idp = await startIdentityProvider()
})
afterAll(() => idp.stop())

describe('tokenSource: { cookie }', () => {
	// A request may carry several Cookie header lines (HTTP/2 splits cookies into separate
	// fields, RFC 9113 section 8.2.3; curl -b twice; proxies). REST API (v1) and ALB with
	// multi-value headers deliver them as multiValueHeaders.cookie = [...]. getHeader joins
	// repeated values with ", " (right for list headers, wrong for Cookie, whose separator is
	// "; "), so getCookie sees `theme=dark, session=<jwt>` as ONE pair named `theme`: the
	// session cookie is never found and a valid token gets 401.
	it('finds the session cookie when the browser sent two Cookie header lines (REST API v1)', async () => {
		const token = await idp.sign({ sub: 'user-1', aud: 'api', tenant_id: 'acme' })
		const run = pipeline({
			issuers: { issuer: idp.issuer, audience: 'api' },
			tokenSource: { cookie: 'session' },
		})
		const event = restApiEvent({ headers: { Cookie: `session=${token}` } })
		event.multiValueHeaders = {
			...event.multiValueHeaders,
			Cookie: ['theme=dark', `session=${token}`],
		}
		const outcome = await run.invoke(event)
		expect(run.lastReason()).toBeUndefined()
		expect(outcome.statusCode).toBe(200)
	})
})
