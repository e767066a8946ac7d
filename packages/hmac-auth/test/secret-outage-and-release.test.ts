import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { type LocalSecretsManager, lambdaContext, startSecretsManager } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hmacAuth, type ReplayClaim, type ReplayStore } from '../src/index.js'
import { fakeClock, freshPrefix, harness, signedEvent, unavailableResponse } from './helpers.js'

let secretsManager: LocalSecretsManager
let client: SecretsManagerClient
beforeAll(async () => {
	secretsManager = await startSecretsManager()
	client = secretsManager.client({ maxAttempts: 1 })
})
afterAll(() => secretsManager.stop())

const body = '{"event":"invoice.paid"}'

describe('recover: a cached malformed secret whose refetch fails', () => {
	it('answers 503 (the secret could not be re-read), as a mismatch whose refetch fails does', async () => {
		const prefix = freshPrefix()
		const secretId = `${prefix}/acme`
		secretsManager.putSecret(secretId, 'oops') // malformed: cached as a SecretFormatError
		const clock = fakeClock()
		const h = harness({ secrets: { prefix, client }, now: clock.now })
		const send = () =>
			h.handler(signedEvent({ secret: 'fixed', body, tenantId: 'acme', timestamp: clock.date() }))
		expect((await send()).statusCode).toBe(500)
		// The operator fixes the secret; past the grace a refetch is due, but Secrets Manager throttles.
		secretsManager.putSecret(secretId, { shared_secret: 'fixed' })
		clock.advance(10_000)
		secretsManager.faults.inject({ type: 'throttle' }, { target: secretId })
		expect(await send()).toEqual(unavailableResponse())
		secretsManager.faults.clear()
	})
})

/** An in-memory store shaped like dynamoReplayStore (release conditioned on expiresAt). */
const memoryStore = () => {
	const records = new Map<string, number>()
	const store: ReplayStore = {
		async claim({ tenantId, id, expiresAt, now }: ReplayClaim) {
			const key = `${tenantId}#${id}`
			const held = records.get(key)
			if (held !== undefined && !(held < now)) return false
			records.set(key, expiresAt)
			return true
		},
		async release({ tenantId, id, expiresAt }: ReplayClaim) {
			const key = `${tenantId}#${id}`
			if (records.get(key) === expiresAt) records.delete(key)
		},
	}
	return store
}

const secrets = async (tenantId: string) => `${tenantId}-secret`

describe('releaseReplayOnServerError', () => {
	it('keeps the claim of a request whose error an inner onError answered 2xx', async () => {
		const clock = fakeClock()
		let runs = 0
		const handler = middy(async () => {
			runs++
			throw new Error('downstream failed after its side effect')
		})
			.use(httpErrorHandler({ logger: false }))
			.use(
				hmacAuth({
					secrets,
					now: clock.now,
					replayStore: memoryStore(),
					releaseReplayOnServerError: true,
				}),
			)
			// e.g. a fallback that queues the event and answers 202 (sets the response, returns nothing)
			.use({
				onError: (request) => {
					if ((request.error as { statusCode?: number }).statusCode === undefined)
						request.response = { statusCode: 202, body: 'queued' }
				},
			})
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		const send = async () =>
			((await handler(structuredClone(event) as never, lambdaContext())) as { statusCode: number })
				.statusCode
		expect(await send()).toBe(202)
		// A replay of a request answered 202 must be refused, not run the handler again.
		expect(await send()).toBe(401)
		expect(runs).toBe(1)
	})
})
