import { randomUUID } from 'node:crypto'
import {
	GetSecretValueCommand,
	PutSecretValueCommand,
	UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager'
import { describe, expect, it } from 'vitest'
import { fakeClock, freshPrefix, harness, secretsManagerPerFile, signedEvent } from './helpers.js'

// The operator's sequence end to end: a rotation Lambda's four steps (createSecret puts
// AWSPENDING, setSecret and testSecret leave the labels alone, finishSecret moves AWSCURRENT
// and Secrets Manager labels the old current AWSPREVIOUS), while senders switch at their own
// time, seen from a container that cached the old secret, cold containers, and after the TTL.

const local = secretsManagerPerFile()

const body = '{"event":"invoice.paid"}'

const tenant = () => {
	const prefix = freshPrefix()
	const secretId = `${prefix}/acme`
	local.secretsManager.putSecret(secretId, { shared_secret: 'one' })
	// Secrets Manager stamps CreatedDate from the real clock; the fake one starts there.
	const clock = fakeClock(Date.now())
	const container = () => {
		const h = harness({ secrets: { prefix, client: local.client }, now: clock.now })
		return async (secret: string) =>
			(await h.handler(signedEvent({ secret, body, tenantId: 'acme', timestamp: clock.date() })))
				.statusCode
	}
	const token = randomUUID()
	const createSecret = (value: Record<string, unknown>) =>
		local.client.send(
			new PutSecretValueCommand({
				SecretId: secretId,
				ClientRequestToken: token,
				SecretString: JSON.stringify(value),
				VersionStages: ['AWSPENDING'],
			}),
		)
	const finishSecret = async (oldVersion: string) =>
		local.client.send(
			new UpdateSecretVersionStageCommand({
				SecretId: secretId,
				VersionStage: 'AWSCURRENT',
				MoveToVersionId: token,
				RemoveFromVersionId: oldVersion,
			}),
		)
	return { secretId, clock, container, createSecret, finishSecret, token }
}

describe('a standard rotation (createSecret, setSecret, testSecret, finishSecret)', () => {
	it('keeps the old secret working and takes the new one within refetchGraceMs of finishSecret', async () => {
		const { clock, container, createSecret, finishSecret, secretId } = tenant()
		const v1 = (await local.client.send(new GetSecretValueCommand({ SecretId: secretId })))
			.VersionId as string
		const warm = container()
		expect(await warm('one')).toBe(200) // 'one' cached at t = 0
		await createSecret({ shared_secret: 'two' })
		clock.advance(10_000)
		// AWSPENDING is never trusted: a sender must not switch before finishSecret.
		expect([await warm('one'), await warm('two')]).toEqual([200, 401])
		const cold1 = container()
		expect([await cold1('two'), await cold1('one')]).toEqual([401, 200])
		await finishSecret(v1)
		// Within refetchGraceMs of the warm container's last fetch (the mismatch above): 401.
		expect(await warm('two')).toBe(401)
		clock.advance(5_000)
		expect([await warm('two'), await warm('one')]).toEqual([200, 200])
		expect([await cold1('two'), await cold1('one')]).toEqual([200, 200])
		const cold2 = container()
		expect([await cold2('one'), await cold2('two')]).toEqual([200, 200])
		clock.advance(300_000) // past the TTL
		for (const send of [warm, cold1, cold2])
			expect([await send('one'), await send('two'), await send('zero')]).toEqual([200, 200, 401])
		// A day after the new version was created, only it verifies, warm or cold.
		clock.advance(86_400_000)
		for (const send of [warm, cold1, cold2, container()])
			expect([await send('one'), await send('two')]).toEqual([401, 200])
	})

	it('revokes at once with previous_shared_secret: null, warm containers within refetchGraceMs after a mismatch or the TTL', async () => {
		const { clock, container, secretId } = tenant()
		local.secretsManager.putSecret(secretId, { shared_secret: 'two' }) // 'one' AWSPREVIOUS
		const warm = container()
		expect([await warm('two'), await warm('one')]).toEqual([200, 200])
		// 'two' leaked: revoke it and 'one'.
		local.secretsManager.putSecret(secretId, {
			shared_secret: 'three',
			previous_shared_secret: null,
		})
		clock.advance(5_000)
		expect(await warm('one')).toBe(401) // the mismatch refetched: 'three' only
		expect(await warm('two')).toBe(401)
		expect(await warm('three')).toBe(200)
		expect(await container()('two')).toBe(401)
		// A warm container that sees no mismatch keeps its cached secret until the TTL.
		const quiet = tenant()
		const quietWarm = quiet.container()
		expect(await quietWarm('one')).toBe(200)
		local.secretsManager.putSecret(quiet.secretId, {
			shared_secret: 'new',
			previous_shared_secret: null,
		})
		quiet.clock.advance(299_999)
		expect(await quietWarm('one')).toBe(200)
		quiet.clock.advance(1)
		expect(await quietWarm('one')).toBe(401)
	})
})
