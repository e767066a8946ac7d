import { type LocalSecretsManager, startSecretsManager } from '@tenantry/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { HmacAuthOptions } from '../src/index.js'
import { deepText, fakeClock, freshPrefix, harness, signedEvent } from './helpers.js'

let secretsManager: LocalSecretsManager

beforeAll(async () => {
	secretsManager = await startSecretsManager()
})
afterAll(() => secretsManager.stop())
afterEach(() => {
	secretsManager.faults.clear()
	vi.restoreAllMocks()
})

const marker = 'Sup3r-S3cret-Marker-7f1c'
const body = '{"amount":1}'

/** Runs requests and returns everything observable: responses, context.auth, error logs, console. */
const observe = async (
	stored: string | Record<string, unknown>,
	requests: { secret: string; tenantId?: string; scheme?: 'standard-webhooks' }[],
	extra: (prefix: string) => HmacAuthOptions = () => ({}),
	before: (secretId: string) => void = () => undefined,
) => {
	const consoleCalls = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
		vi.spyOn(console, method).mockImplementation(() => undefined),
	)
	const prefix = freshPrefix()
	const secretId = `${prefix}/acme`
	secretsManager.putSecret(secretId, stored)
	before(secretId)
	const clock = fakeClock()
	const h = harness({
		secrets: { prefix, client: secretsManager.client({ maxAttempts: 1 }) },
		now: clock.now,
		...extra(prefix),
	})
	const responses = []
	for (const request of requests) {
		responses.push(
			await h.handler(signedEvent({ body, tenantId: 'acme', timestamp: clock.date(), ...request })),
		)
		clock.advance(6_000)
	}
	return {
		statuses: responses.map((response) => response.statusCode),
		text: deepText(responses, h.seen, h.logged, ...consoleCalls.map((spy) => spy.mock.calls)),
	}
}

describe('secret values never appear in responses, context, errors, causes or logs', () => {
	it('on success, mismatch, refetch and the AWSPREVIOUS lookup', async () => {
		const { statuses, text } = await observe({ shared_secret: marker }, [
			{ secret: marker },
			{ secret: 'forged' },
			{ secret: 'forged', tenantId: 'ghost' },
			{ secret: marker },
		])
		expect(statuses).toEqual([200, 401, 401, 200])
		expect(text).not.toContain(marker)
	})

	it('when the stored secret is not JSON (JSON.parse quotes its input)', async () => {
		const { statuses, text } = await observe(`${marker} is not json`, [{ secret: marker }])
		expect(statuses).toEqual([500])
		expect(text).toContain('is not JSON')
		expect(text).not.toContain(marker)
		expect(text).not.toContain('Sup3r')
	})

	it('when a field has the wrong type', async () => {
		const { statuses, text } = await observe(
			{ shared_secret: 'x', previous_shared_secret: { nested: marker } },
			[{ secret: 'x' }],
		)
		expect(statuses).toEqual([500])
		expect(text).not.toContain(marker)
	})

	it('when Secrets Manager sends a response the SDK cannot parse (SDK errors keep the raw body)', async () => {
		const { statuses, text } = await observe(
			{ shared_secret: marker },
			[{ secret: marker }],
			() => ({}),
			(secretId) =>
				secretsManager.faults.inject(
					{
						type: 'respond',
						status: 200,
						body: `{"SecretString":"{\\"shared_secret\\":\\"${marker}`,
					},
					{ target: secretId },
				),
		)
		expect(statuses).toEqual([503])
		expect(text).toContain('hmac_secret_unavailable')
		expect(text).not.toContain(marker)
	})

	it('when a Standard Webhooks secret is malformed', async () => {
		const valid = `whsec_${Buffer.alloc(24, 1).toString('base64')}`
		const { statuses, text } = await observe(
			{ shared_secret: `whsec_${marker}` },
			[{ secret: valid, scheme: 'standard-webhooks' }],
			() => ({ scheme: 'standard-webhooks' }),
		)
		expect(statuses).toEqual([500])
		expect(text).toContain('hmac_secret_malformed')
		expect(text).not.toContain(marker)
	})
})
