import { describe, expect, it, vi } from 'vitest'
import { NotFoundError } from '../src/index.js'
import { fakeClock, harness, signedEvent, unauthorizedResponse } from './helpers.js'

// README (Responses): "Every rejected signature costs at least two HMACs over the content, as a
// tenant holding two secrets spends ... so response time does not tell which tenants exist". A
// secrets function has no version ids: a refetch that brings the very same secrets back must not
// be tried again, or a tenant in a rotation (the README's `['current', 'previous']`) costs twice
// the HMACs of an unknown tenant once per refetchGraceMs.

const { verifications } = await vi.hoisted(() => import('./hmac-count.js'))

const setup = (stored: readonly string[]) => {
	const clock = fakeClock(Date.now())
	const h = harness({
		secrets: async (tenantId) => {
			if (tenantId !== 'acme') throw new NotFoundError(`no tenant ${tenantId}`)
			return stored
		},
		now: clock.now,
	})
	// 1 MiB (maxBodyBytes): each HMAC of it is a measurable share of the answer time.
	const body = JSON.stringify({ pad: 'x'.repeat(1_048_576 - 12) })
	const probe = async (tenantId: string) => {
		const before = verifications.count
		const response = await h.handler(
			signedEvent({ secret: 'forged', body, tenantId, timestamp: clock.date() }),
		)
		expect(response).toEqual(unauthorizedResponse())
		return verifications.count - before
	}
	return { clock, probe }
}

describe('a forged request costs the same HMACs for a real and an unknown tenant, with a secrets function', () => {
	it('a tenant with two secrets, probed once per refetchGraceMs (the refetch brings the same secrets)', async () => {
		const { clock, probe } = setup(['acme-new', 'acme-old'])
		await probe('acme')
		await probe('ghost')
		clock.advance(6_000)
		const real = await probe('acme')
		const unknown = await probe('ghost')
		expect(unknown).toBe(2)
		expect(real).toBe(unknown)
	})

	it('a tenant with one secret, probed once per refetchGraceMs', async () => {
		const { clock, probe } = setup(['acme-secret'])
		await probe('acme')
		await probe('ghost')
		clock.advance(6_000)
		expect(await probe('acme')).toBe(2)
		expect(await probe('ghost')).toBe(2)
	})
})
