import { describe, expect, it } from 'vitest'
import {
	fakeClock,
	freshPrefix,
	harness,
	secretsManagerPerFile,
	signedEvent,
	unauthorizedResponse,
} from './helpers.js'

// AWSPREVIOUS names the version before the current one: keys read while an older version was
// current never verify once a newer one is loaded, however it was loaded.

const local = secretsManagerPerFile()

const body = '{"event":"invoice.paid"}'

/** acme's secret in the README's default layout (no previous field), one rotation done. */
const rotatedOnce = () => {
	const prefix = freshPrefix()
	const secretId = `${prefix}/acme`
	local.secretsManager.putSecret(secretId, { shared_secret: 'one' })
	local.secretsManager.putSecret(secretId, { shared_secret: 'two' }) // PutSecretValue: 'one' is AWSPREVIOUS
	// Secrets Manager stamps CreatedDate from the real clock; the fake one starts there.
	const clock = fakeClock(Date.now())
	const h = harness({ secrets: { prefix, client: local.client }, now: clock.now })
	const send = (secret: string) =>
		h.handler(signedEvent({ secret, body, tenantId: 'acme', timestamp: clock.date() }))
	return { h, clock, send, secretId }
}

describe('rotation by version: a secret two rotations old', () => {
	// README: "When the refetch brings a new version, the cached previous version is dropped".
	// That is done only when a *mismatch* refetches the current secret. When the current secret
	// is reloaded because its TTL ran out (any request, valid ones too), the AWSPREVIOUS keys
	// cached for the version before stay, and keep verifying a secret that is no longer
	// AWSPREVIOUS (nor anything else) in Secrets Manager.
	it('stops verifying once the container loaded the newer version after the TTL', async () => {
		const { send, clock, secretId } = rotatedOnce()
		expect((await send('two')).statusCode).toBe(200) // current 'two' cached at t = 0
		clock.advance(4_000)
		expect((await send('one')).statusCode).toBe(200) // AWSPREVIOUS 'one' cached at t = 4 s
		// The operator rotates again: 'three' is AWSCURRENT, 'two' AWSPREVIOUS, 'one' no label.
		local.secretsManager.putSecret(secretId, { shared_secret: 'three' })
		clock.advance(296_500) // t = 300.5 s: the current secret's TTL ran out
		expect((await send('three')).statusCode).toBe(200) // reloaded: the container is on 'three'
		expect((await send('two')).statusCode).toBe(200) // the real AWSPREVIOUS: fine
		expect(await send('one')).toEqual(unauthorizedResponse())
	})

	// The same keys are also served stale-if-error, for up to cache.staleIfErrorMs (an hour),
	// when only the AWSPREVIOUS read fails (one throttled call), although the current version
	// read fine and shows the cached previous keys belong to an older one.
	it('stops verifying when the AWSPREVIOUS read is throttled after the newer version loaded', async () => {
		const { send, clock, secretId } = rotatedOnce()
		expect((await send('two')).statusCode).toBe(200)
		expect((await send('one')).statusCode).toBe(200) // AWSPREVIOUS 'one' cached
		local.secretsManager.putSecret(secretId, { shared_secret: 'three' })
		clock.advance(300_001)
		expect((await send('three')).statusCode).toBe(200) // current reloaded: 'three'
		// The next read, of AWSPREVIOUS (the cached 'one' is past its TTL), is throttled once.
		local.secretsManager.faults.inject({ type: 'throttle' }, { target: secretId, times: 1 })
		const response = await send('one')
		expect(response.statusCode).not.toBe(200)
	})
})
