import { expect, it } from 'vitest'
import { fakeClock, freshPrefix, harness, secretsManagerPerFile, signedEvent } from './helpers.js'

const local = secretsManagerPerFile()

// Overlapping requests of two tenants whose secrets arrive in the opposite order (acme's
// Secrets Manager answer is held back): each is verified with its own tenant's secret and
// authenticated as itself, and one signed with the other tenant's secret is refused.
it('authenticates overlapping cold requests of two tenants each with its own secret, whichever secret arrives first', async () => {
	const prefix = freshPrefix()
	local.secretsManager.putSecret(`${prefix}/acme`, { shared_secret: 'acme-secret' })
	local.secretsManager.putSecret(`${prefix}/globex`, { shared_secret: 'globex-secret' })
	local.secretsManager.faults.inject({ type: 'delay', ms: 100 }, { target: `${prefix}/acme` })
	const clock = fakeClock()
	const h = harness({ secrets: { prefix, client: local.client }, now: clock.now })
	const send = (tenantId: string, secret: string, body: string) =>
		h.handler(signedEvent({ secret, body, tenantId, timestamp: clock.date() }))

	const [acme, globex, forged, acmeAgain] = await Promise.all([
		send('acme', 'acme-secret', '{"n":1}'),
		send('globex', 'globex-secret', '{"n":2}'),
		// globex named, signed with acme's secret: the request waits for globex's, not acme's.
		send('globex', 'acme-secret', '{"n":3}'),
		send('acme', 'acme-secret', '{"n":4}'),
	])
	expect([acme, globex, forged, acmeAgain].map((response) => response.statusCode)).toEqual([
		200, 200, 401, 200,
	])
	expect(JSON.parse(acme.body)).toEqual({ tenant: 'acme' })
	expect(JSON.parse(globex.body)).toEqual({ tenant: 'globex' })
	expect(JSON.parse(acmeAgain.body)).toEqual({ tenant: 'acme' })
	expect(local.secretsManager.calls(`${prefix}/acme`)).toBe(1)
})
