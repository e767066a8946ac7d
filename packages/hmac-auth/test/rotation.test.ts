import {
	CreateSecretCommand,
	GetSecretValueCommand,
	type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager'
import { describe, expect, it } from 'vitest'
import type { HmacAuthOptions } from '../src/index.js'
import {
	fakeClock,
	freshPrefix,
	harness,
	lastReason,
	secretsManagerPerFile,
	signedEvent,
	unauthorizedResponse,
	unavailableResponse,
} from './helpers.js'

const local = secretsManagerPerFile()

const body = '{"event":"invoice.paid"}'

const setup = (
	initial: string | Record<string, unknown>,
	extra: HmacAuthOptions = {},
	previousVersionGraceMs?: number,
	client: SecretsManagerClient = local.client,
) => {
	const prefix = freshPrefix()
	const secretId = `${prefix}/acme`
	local.secretsManager.putSecret(secretId, initial)
	const clock = fakeClock()
	const h = harness({
		secrets: { prefix, client, previousVersionGraceMs },
		now: clock.now,
		...extra,
	})
	const send = (secret: string) =>
		h.handler(signedEvent({ secret, body, tenantId: 'acme', timestamp: clock.date() }))
	return { h, clock, send, secretId, calls: () => local.secretsManager.calls(secretId) }
}

describe('during a rotation', () => {
	it('verifies shared_secret and previous_shared_secret from one fetch', async () => {
		const { send, calls } = setup({ shared_secret: 'two', previous_shared_secret: 'one' })
		expect((await send('two')).statusCode).toBe(200)
		expect((await send('one')).statusCode).toBe(200)
		expect((await send('zero')).statusCode).toBe(401)
		expect(calls()).toBe(1)
	})

	it('ignores an empty or null previous field', async () => {
		for (const previous of ['', null]) {
			const { send } = setup({ shared_secret: 'two', previous_shared_secret: previous })
			expect((await send('two')).statusCode).toBe(200)
		}
	})

	it('verifies the AWSPREVIOUS version when the JSON has no previous field, fetched only after a mismatch', async () => {
		const { send, calls, secretId } = setup({ shared_secret: 'one' })
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' })
		expect((await send('two')).statusCode).toBe(200)
		expect(calls()).toBe(1)
		expect((await send('one')).statusCode).toBe(200)
		expect(calls()).toBe(2)
		expect((await send('one')).statusCode).toBe(200)
		expect((await send('two')).statusCode).toBe(200)
		expect(calls()).toBe(2)
	})

	it('stops verifying the AWSPREVIOUS version previousVersionGraceMs after the rotation', async () => {
		const { h, send, clock, secretId } = setup({ shared_secret: 'leaked' })
		local.secretsManager.putSecret(secretId, { shared_secret: 'fresh' })
		expect((await send('leaked')).statusCode).toBe(200)
		// A day after the version's CreatedDate, which Secrets Manager stamps from the real clock.
		clock.advance(Date.now() - clock.now() + 86_400_000 + 60_000)
		expect((await send('fresh')).statusCode).toBe(200)
		expect(await send('leaked')).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_signature_mismatch')
	})

	it('verifies the AWSPREVIOUS version until the last millisecond before CreatedDate plus previousVersionGraceMs, and not at it', async () => {
		const { send, clock, secretId } = setup({ shared_secret: 'leaked' }, {}, 60_000)
		local.secretsManager.putSecret(secretId, { shared_secret: 'fresh' })
		// The CreatedDate the middleware reads, as the SDK parses it from the endpoint's answer.
		const { CreatedDate } = await local.client.send(
			new GetSecretValueCommand({ SecretId: secretId }),
		)
		const graceEnd = (CreatedDate as Date).getTime() + 60_000
		clock.advance(graceEnd - 1 - clock.now())
		expect((await send('leaked')).statusCode).toBe(200)
		clock.advance(1)
		expect((await send('fresh')).statusCode).toBe(200)
		expect((await send('leaked')).statusCode).toBe(401)
	})

	it('never tries AWSPREVIOUS with previousVersionGraceMs 0, or when the JSON names no previous secret', async () => {
		const noGrace = setup({ shared_secret: 'one' }, {}, 0)
		local.secretsManager.putSecret(noGrace.secretId, { shared_secret: 'two' })
		expect((await noGrace.send('one')).statusCode).toBe(401)
		const revoked = setup({ shared_secret: 'leaked' })
		local.secretsManager.putSecret(revoked.secretId, {
			shared_secret: 'fresh',
			previous_shared_secret: null,
		})
		expect((await revoked.send('leaked')).statusCode).toBe(401)
		expect((await revoked.send('fresh')).statusCode).toBe(200)
		expect(revoked.calls()).toBe(1)
	})

	it('picks up a new secret once the cached one is older than the grace, with one refetch for all', async () => {
		const { send, calls, clock, secretId, h } = setup({ shared_secret: 'one' })
		expect((await send('one')).statusCode).toBe(200)
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' })
		clock.advance(1_000)
		expect(await send('two')).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_signature_mismatch')
		// No refetch within the grace; the AWSPREVIOUS version ('one') was tried.
		expect(calls()).toBe(2)
		clock.advance(4_000)
		const responses = await Promise.all(Array.from({ length: 20 }, () => send('two')))
		expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(200))
		expect(calls()).toBe(3)
		// Clients still on the old secret keep working: the outdated previous keys were dropped.
		expect((await send('one')).statusCode).toBe(200)
		expect(calls()).toBe(4)
	})

	it('honours cache.refetchGraceMs', async () => {
		const { send, calls, clock, secretId } = setup(
			{ shared_secret: 'one' },
			{ cache: { refetchGraceMs: 60_000 } },
		)
		expect((await send('one')).statusCode).toBe(200)
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' })
		clock.advance(59_000)
		expect((await send('two')).statusCode).toBe(401)
		clock.advance(1_000)
		expect((await send('two')).statusCode).toBe(200)
		expect(calls()).toBe(3)
	})

	it('costs at most one refetch per grace window and one AWSPREVIOUS fetch under a flood of bad signatures', async () => {
		const { send, calls, clock } = setup({ shared_secret: 'one' })
		expect((await send('one')).statusCode).toBe(200)
		clock.advance(10_000)
		const flood = () => Promise.all(Array.from({ length: 50 }, (_, i) => send(`forged-${i}`)))
		for (const response of await flood()) expect(response).toEqual(unauthorizedResponse())
		expect(calls()).toBe(3)
		clock.advance(4_000)
		await flood()
		expect(calls()).toBe(3)
		clock.advance(1_000)
		await flood()
		expect(calls()).toBe(4)
	})

	it('answers 503 when the AWSPREVIOUS version cannot be fetched', async () => {
		const { send, secretId } = setup({ shared_secret: 'one' })
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' })
		expect((await send('two')).statusCode).toBe(200)
		local.secretsManager.faults.inject({ type: 'server-error' }, { target: secretId })
		expect(await send('one')).toEqual(unavailableResponse())
	})

	it('answers a mismatch 503 while the refetch fails (the current secret could not be checked), and keeps the cached secret', async () => {
		const { send, clock, secretId, calls } = setup({
			shared_secret: 'one',
			previous_shared_secret: 'zero',
		})
		expect((await send('one')).statusCode).toBe(200)
		clock.advance(10_000)
		local.secretsManager.faults.inject({ type: 'throttle' }, { target: secretId })
		expect(await send('forged')).toEqual(unavailableResponse())
		expect((await send('one')).statusCode).toBe(200)
		expect(calls()).toBe(2)
	})

	it('keeps accepting a sender on the cached AWSPREVIOUS secret while the refetch is throttled', async () => {
		const { send, clock, secretId } = setup({ shared_secret: 'one' })
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' })
		expect((await send('two')).statusCode).toBe(200)
		expect((await send('one')).statusCode).toBe(200)
		clock.advance(10_000)
		local.secretsManager.faults.inject({ type: 'throttle' }, { target: secretId })
		expect((await send('two')).statusCode).toBe(200)
		expect((await send('one')).statusCode).toBe(200)
		expect(await send('forged')).toEqual(unavailableResponse())
	})

	it('answers 503 for a cached malformed secret whose refetch fails: it may have been fixed meanwhile', async () => {
		const { send, clock, secretId } = setup('oops')
		expect((await send('fixed')).statusCode).toBe(500)
		local.secretsManager.putSecret(secretId, { shared_secret: 'fixed' })
		clock.advance(10_000)
		local.secretsManager.faults.inject({ type: 'throttle' }, { target: secretId })
		expect(await send('fixed')).toEqual(unavailableResponse())
	})

	it('answers 503, not 401, to a request signed with a newly rotated secret while the refetch is throttled', async () => {
		const { send, clock, secretId } = setup({
			shared_secret: 'one',
			previous_shared_secret: 'zero',
		})
		expect((await send('one')).statusCode).toBe(200)
		local.secretsManager.putSecret(secretId, {
			shared_secret: 'two',
			previous_shared_secret: 'one',
		})
		clock.advance(60_000)
		local.secretsManager.faults.inject({ type: 'throttle' }, { target: secretId })
		expect(await send('two')).toEqual(unavailableResponse())
		local.secretsManager.faults.clear()
		clock.advance(2_000)
		expect((await send('two')).statusCode).toBe(200)
	})

	it('treats a secret deleted meanwhile as an unknown tenant', async () => {
		const { send, clock, secretId, h } = setup({
			shared_secret: 'one',
			previous_shared_secret: 'zero',
		})
		expect((await send('one')).statusCode).toBe(200)
		local.secretsManager.deleteSecret(secretId)
		clock.advance(10_000)
		expect(await send('forged')).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_unknown_tenant')
	})

	it('treats a secret scheduled for deletion (an offboarded tenant) as an unknown tenant, not an outage', async () => {
		const { send, secretId, h } = setup({ shared_secret: 'one' })
		local.secretsManager.deleteSecret(secretId, { recoveryWindow: true })
		expect(await send('one')).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_unknown_tenant')
	})
})

describe('a malformed stored secret', () => {
	it.each([
		['not JSON', 'plain-text-secret', /is not JSON/],
		['a JSON array', '["a"]', /is not a JSON object/],
		['missing the field', { other: 'x' }, /has no non-empty string field 'shared_secret'/],
		['an empty field', { shared_secret: '' }, /has no non-empty string field/],
		[
			'a non-string previous field',
			{ shared_secret: 'a', previous_shared_secret: 7 },
			/previous_shared_secret' is not a string/,
		],
	])('%s: a plain 500 whose logged message names the problem', async (_, stored, message) => {
		const { send, h } = setup(stored)
		expect(await send('a')).toEqual({ statusCode: 500, headers: {} })
		expect(lastReason(h)).toBe('hmac_secret_malformed')
		expect((h.logged[0] as Error).message).toMatch(message)
		expect((h.logged[0] as Error).message).toMatch(/tenant 'acme'/)
	})

	it('a binary secret (no SecretString): a plain 500 whose logged message says so', async () => {
		const prefix = freshPrefix()
		await local.client.send(
			new CreateSecretCommand({ Name: `${prefix}/acme`, SecretBinary: Buffer.from('acme-secret') }),
		)
		const clock = fakeClock()
		const h = harness({ secrets: { prefix, client: local.client }, now: clock.now })
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		expect(await h.handler(event)).toEqual({ statusCode: 500, headers: {} })
		expect(lastReason(h)).toBe('hmac_secret_malformed')
		expect((h.logged[0] as Error).message).toMatch(/has no SecretString/)
	})

	it('is cached like a good one and the fix is picked up after the grace', async () => {
		const { send, calls, clock, secretId } = setup('oops')
		expect((await send('fixed')).statusCode).toBe(500)
		expect((await send('fixed')).statusCode).toBe(500)
		expect(calls()).toBe(1)
		local.secretsManager.putSecret(secretId, { shared_secret: 'fixed' })
		clock.advance(5_000)
		expect((await send('fixed')).statusCode).toBe(200)
		expect(calls()).toBe(2)
	})

	it('read again for a mismatch and found malformed: a plain 500, not a 401 for a secret no one can check', async () => {
		const { send, h, clock, secretId } = setup({ shared_secret: 'one' })
		expect((await send('one')).statusCode).toBe(200)
		local.secretsManager.putSecret(secretId, 'oops')
		clock.advance(5_000)
		expect(await send('two')).toEqual({ statusCode: 500, headers: {} })
		expect(lastReason(h)).toBe('hmac_secret_malformed')
	})

	it('an unusable AWSPREVIOUS version is skipped', async () => {
		const { send, secretId } = setup('not json')
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' })
		expect((await send('two')).statusCode).toBe(200)
		expect(await send('one')).toEqual(unauthorizedResponse())
	})
})

describe('a secrets function', () => {
	it('picks up a rotated secret after the grace: it names no version, so the keys themselves tell', async () => {
		// A function source has no version ids: the refetched keys are compared instead, and a
		// changed secret must be tried, not taken for the one already tried.
		let current = 'one'
		const clock = fakeClock()
		const h = harness({ secrets: async () => current, now: clock.now })
		const send = (secret: string) =>
			h.handler(signedEvent({ secret, body, tenantId: 'acme', timestamp: clock.date() }))
		expect((await send('one')).statusCode).toBe(200)
		current = 'two'
		clock.advance(5_000)
		expect((await send('two')).statusCode).toBe(200)
		expect(h.seen).toHaveLength(2)
	})

	it('tries a secret added after the one already tried (the same first key, one more)', async () => {
		let current: string[] = ['one']
		const clock = fakeClock()
		const h = harness({ secrets: async () => current, now: clock.now })
		const send = (secret: string) =>
			h.handler(signedEvent({ secret, body, tenantId: 'acme', timestamp: clock.date() }))
		expect((await send('one')).statusCode).toBe(200)
		current = ['one', 'two']
		clock.advance(5_000)
		expect((await send('two')).statusCode).toBe(200)
	})
})

/**
 * A client of the local Secrets Manager whose answers `change` rewrites once the SDK has parsed
 * them: what a proxy, a wrapper or a mock could hand back, never the service itself.
 */
const rewritingClient = (
	change: (output: Record<string, unknown>, input: { VersionStage?: string }) => unknown,
): SecretsManagerClient => {
	const client = local.secretsManager.client({ maxAttempts: 1 })
	client.middlewareStack.add(
		(next) => async (args) => {
			const result = await next(args)
			return { ...result, output: change(result.output as never, args.input as never) as never }
		},
		{ step: 'initialize', priority: 'high' },
	)
	return client
}

const unreadable = (failure: Error) => ({
	get SecretString(): never {
		throw failure
	},
})

describe('a Secrets Manager answer the service would not give', () => {
	it("without CreatedDate: the version's age is unknown, so AWSPREVIOUS is never tried", async () => {
		const client = rewritingClient(({ CreatedDate: _, ...output }) => output)
		const { h, send, secretId, calls } = setup({ shared_secret: 'one' }, {}, undefined, client)
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' })
		expect((await send('two')).statusCode).toBe(200)
		expect(await send('one')).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_signature_mismatch')
		expect(calls()).toBe(1)
	})

	it('that throws when read: a plain 500 logging that very error', async () => {
		const failure = new TypeError('answer unreadable')
		const client = rewritingClient(() => unreadable(failure))
		const { h, send } = setup({ shared_secret: 'one' }, {}, undefined, client)
		expect(await send('one')).toEqual({ statusCode: 500, headers: {} })
		expect(h.logged).toEqual([failure])
		expect(h.seen).toEqual([])
	})

	it('for AWSPREVIOUS, that throws when read: a plain 500 logging that very error', async () => {
		const failure = new TypeError('answer unreadable')
		const client = rewritingClient((output, input) =>
			input.VersionStage === 'AWSPREVIOUS' ? unreadable(failure) : output,
		)
		const { h, send, secretId } = setup({ shared_secret: 'one' }, {}, undefined, client)
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' })
		expect((await send('two')).statusCode).toBe(200)
		expect(await send('one')).toEqual({ statusCode: 500, headers: {} })
		expect(h.logged).toEqual([failure])
	})
})
