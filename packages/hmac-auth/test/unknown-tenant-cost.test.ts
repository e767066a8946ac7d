import { describe, expect, it } from 'vitest'
import {
	fakeClock,
	freshPrefix,
	harness,
	secretsManagerPerFile,
	signedEvent,
	unauthorizedResponse,
} from './helpers.js'

// README (Responses): "an unknown tenant's remembered 'not found' is re-checked on the same
// refetchGraceMs as a mismatch on a known tenant's secret, so response time does not tell which
// tenants exist". A known tenant's forged request fetches its secret again once the cached copy
// is older than `refetchGraceMs` (the refetch) or `ttlMs` (when shorter, e.g. so that a revoked
// secret stops verifying quickly): an unknown tenant's "not found" must be re-checked exactly as
// often. Remembered for less, it would cost a fetch per request (two, the get's and the
// refetch's, when not remembered at all); for longer, fewer than a known tenant.

const local = secretsManagerPerFile()

const setup = (ttlMs: number | undefined) => {
	const prefix = freshPrefix()
	local.secretsManager.putSecret(`${prefix}/acme`, {
		shared_secret: 'acme-secret',
		previous_shared_secret: null,
	})
	const clock = fakeClock(Date.now())
	const h = harness({ secrets: { prefix, client: local.client }, cache: { ttlMs }, now: clock.now })
	const probe = async (tenantId: string) => {
		const before = local.secretsManager.calls(`${prefix}/${tenantId}`)
		const response = await h.handler(
			signedEvent({ secret: 'forged', body: '{}', tenantId, timestamp: clock.date() }),
		)
		expect(response).toEqual(unauthorizedResponse())
		return local.secretsManager.calls(`${prefix}/${tenantId}`) - before
	}
	/** Round trips a forged request costs for a real tenant and for an unknown one. */
	const costs = async () => ({ real: await probe('acme'), unknown: await probe('ghost') })
	return { clock, costs }
}

describe('forged requests for a real and an unknown tenant cost the same round trips', () => {
	it('with the default TTL: one fetch each, then one per refetchGraceMs', async () => {
		const { clock, costs } = setup(undefined)
		expect(await costs()).toEqual({ real: 1, unknown: 1 })
		// Within refetchGraceMs (5 s): no fetch for either.
		for (const step of [1_000, 2_000, 1_500]) {
			clock.advance(step)
			expect(await costs()).toEqual({ real: 0, unknown: 0 })
		}
		// Past it: one each.
		clock.advance(1_000)
		expect(await costs()).toEqual({ real: 1, unknown: 1 })
		clock.advance(4_000)
		expect(await costs()).toEqual({ real: 0, unknown: 0 })
	})

	it('with cache.ttlMs below refetchGraceMs: one fetch each per ttlMs', async () => {
		const { clock, costs } = setup(1_000)
		expect(await costs()).toEqual({ real: 1, unknown: 1 })
		clock.advance(500)
		expect(await costs()).toEqual({ real: 0, unknown: 0 })
		for (let i = 0; i < 3; i++) {
			clock.advance(1_500)
			expect(await costs()).toEqual({ real: 1, unknown: 1 })
		}
	})
})
