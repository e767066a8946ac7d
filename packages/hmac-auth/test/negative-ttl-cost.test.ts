import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { type LocalSecretsManager, startSecretsManager } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fakeClock, freshPrefix, harness, signedEvent, unauthorizedResponse } from './helpers.js'

// README (Responses): "an unknown tenant's remembered 'not found' is re-checked on the same
// refetchGraceMs as a mismatch on a known tenant's secret, so response time does not tell which
// tenants exist". `cache.negativeTtlMs` is validated on its own (0 allowed: "not remembered"),
// but `currentOrRefetched` always follows a not-found `get` with a `refetch`: when the "not
// found" is remembered for less than `refetchGraceMs`, an unknown tenant costs a fresh
// GetSecretValue for the `get` and, at 0, a second one for the refetch, where a known tenant's
// forged request costs none within the grace.

let secretsManager: LocalSecretsManager
let client: SecretsManagerClient

beforeAll(async () => {
	secretsManager = await startSecretsManager()
	client = secretsManager.client({ maxAttempts: 1 })
})
afterAll(() => secretsManager.stop())
beforeEach(() => secretsManager.faults.clear())

const setup = (negativeTtlMs: number) => {
	const prefix = freshPrefix()
	secretsManager.putSecret(`${prefix}/acme`, {
		shared_secret: 'acme-secret',
		previous_shared_secret: null,
	})
	const clock = fakeClock(Date.now())
	const h = harness({ secrets: { prefix, client }, cache: { negativeTtlMs }, now: clock.now })
	const probe = async (tenantId: string) => {
		const before = secretsManager.calls(`${prefix}/${tenantId}`)
		const response = await h.handler(
			signedEvent({ secret: 'forged', body: '{}', tenantId, timestamp: clock.date() }),
		)
		expect(response).toEqual(unauthorizedResponse())
		return secretsManager.calls(`${prefix}/${tenantId}`) - before
	}
	return { clock, probe }
}

describe('cache.negativeTtlMs shorter than refetchGraceMs', () => {
	it.each([0, 1_000])(
		'negativeTtlMs %i: a forged request costs the same round trips for a real and an unknown tenant',
		async (negativeTtlMs) => {
			const { clock, probe } = setup(negativeTtlMs)
			// Cold: one fetch each.
			expect({ real: await probe('acme'), unknown: await probe('ghost') }).toEqual({
				real: 1,
				unknown: 1,
			})
			// 2 s later, within refetchGraceMs (5 s): the real tenant's secret is not refetched.
			clock.advance(2_000)
			expect({ real: await probe('acme'), unknown: await probe('ghost') }).toEqual({
				real: 0,
				unknown: 0,
			})
		},
	)
})
