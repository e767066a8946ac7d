import { expect, it } from 'vitest'
import { fakeClock, freshPrefix, harness, secretsManagerPerFile, signedEvent } from './helpers.js'

const local = secretsManagerPerFile()

/**
 * A sender whose clock drifts gets 401s until it is fixed: the on-call's first question is which
 * sender, and the tenant id was read before the timestamp was checked. One that fails the tenant
 * id rule is attacker text, and stays out of the cause as it does for every other reason.
 */
it('a stale timestamp names the tenant that signed it, when its id is valid', async () => {
	const clock = fakeClock()
	const h = harness({ secrets: { prefix: freshPrefix(), client: local.client }, now: clock.now })
	const stale = (tenantId: string) =>
		signedEvent(
			{ secret: 'any', body: '{}', tenantId: 'acme', timestamp: new Date(clock.now() - 600_000) },
			{ headers: { 'x-tenant-id': tenantId } },
		)
	expect((await h.handler(stale('acme'))).statusCode).toBe(401)
	expect((await h.handler(stale('not a tenant id'))).statusCode).toBe(401)
	const [named, unnamed] = h.logged.map((error) => (error as { cause?: unknown }).cause)
	expect(named).toMatchObject({
		code: 'hmac_timestamp_out_of_tolerance',
		tenantId: 'acme',
		skewSec: -600,
	})
	expect(unnamed).toMatchObject({ code: 'hmac_timestamp_out_of_tolerance', tenantId: undefined })
})
