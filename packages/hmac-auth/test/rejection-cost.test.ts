import { describe, expect, it, vi } from 'vitest'
import {
	fakeClock,
	freshPrefix,
	harness,
	secretsManagerPerFile,
	signedEvent,
	unauthorizedResponse,
} from './helpers.js'

// An attacker who knows tenant ids probes with forged signatures: the work a rejection costs
// must not tell a real tenant from an unknown one.

const { verifications } = await vi.hoisted(() => import('./hmac-count.js'))

const local = secretsManagerPerFile()

/** A middleware instance (one container) and a prober sending forged requests for any tenant id. */
const setup = (stored: Record<string, unknown>) => {
	const prefix = freshPrefix()
	local.secretsManager.putSecret(`${prefix}/acme`, stored)
	const clock = fakeClock(Date.now())
	const h = harness({ secrets: { prefix, client: local.client }, now: clock.now })
	// 1 MiB (maxBodyBytes): each HMAC of it is a measurable share of the answer time.
	const body = JSON.stringify({ pad: 'x'.repeat(1_048_576 - 12) })
	const probe = async (tenantId: string) => {
		const event = signedEvent({ secret: 'forged', body, tenantId, timestamp: clock.date() })
		const [calls, hmacs] = [
			local.secretsManager.calls(`${prefix}/${tenantId}`),
			verifications.count,
		]
		const response = await h.handler(event)
		expect(response).toEqual(unauthorizedResponse())
		return {
			roundTrips: local.secretsManager.calls(`${prefix}/${tenantId}`) - calls,
			hmacs: verifications.count - hmacs,
		}
	}
	return { clock, probe }
}

describe('a forged request costs the same for a real and an unknown tenant', () => {
	// A mismatch costs one HMAC per key tried: two during a rotation (both JSON fields); every
	// other rejection is padded to as many. A refetched copy of the same version is not tried again.
	it('HMACs computed over the 1 MiB body: a tenant in a rotation (both JSON fields)', async () => {
		const { probe } = setup({ shared_secret: 'acme-new', previous_shared_secret: 'acme-old' })
		await probe('acme')
		await probe('ghost') // both cached now (the secret, the "not found")
		const real = await probe('acme')
		const unknown = await probe('ghost')
		expect(real.hmacs).toBe(unknown.hmacs)
	})

	it('HMACs computed over the 1 MiB body: any tenant, probed once per refetchGraceMs', async () => {
		const { probe, clock } = setup({ shared_secret: 'acme-secret', previous_shared_secret: null })
		await probe('acme')
		await probe('ghost')
		clock.advance(6_000)
		const real = await probe('acme')
		const unknown = await probe('ghost')
		expect(real.roundTrips).toBe(unknown.roundTrips) // one refetch each: equal, as documented
		expect(real.hmacs).toBe(unknown.hmacs)
	})

	it('HMACs computed over the 1 MiB body: a tenant with one secret', async () => {
		const { probe } = setup({ shared_secret: 'acme-secret', previous_shared_secret: null })
		await probe('acme')
		const real = await probe('acme')
		const unknown = await probe('ghost')
		expect(real.hmacs).toBe(2)
		expect(unknown.hmacs).toBe(2)
	})
})
