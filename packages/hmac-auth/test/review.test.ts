import { createHmac } from 'node:crypto'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import {
	httpApiEvent,
	type LocalDynamoDb,
	type LocalSecretsManager,
	startDynamoDb,
	startSecretsManager,
} from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type CustomScheme, dynamoReplayStore } from '../src/index.js'
import { deepText, fakeClock, freshPrefix, harness, signedEvent } from './helpers.js'

// Security review: each test below failed on the reviewed code, one defect each, and now guards
// its fix.

let dynamodb: LocalDynamoDb
let ddb: DynamoDBClient
let secretsManager: LocalSecretsManager
let sm: SecretsManagerClient
const tableName = 'review-replay'

beforeAll(async () => {
	;[dynamodb, secretsManager] = await Promise.all([startDynamoDb(), startSecretsManager()])
	ddb = dynamodb.client({ maxAttempts: 1 })
	sm = secretsManager.client({ maxAttempts: 1 })
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => Promise.all([dynamodb.stop(), secretsManager.stop()]))
beforeEach(() => {
	dynamodb.faults.clear()
	secretsManager.faults.clear()
})

let counter = 0
const uniqueBody = () => JSON.stringify({ transfer: 100, review: ++counter })

describe('replay protection', () => {
	// The README's GitHub example takes replayId from X-GitHub-Delivery, a header the signature
	// does not cover: the middleware uses it as the *only* replay key, so a captured delivery is
	// accepted again under any new delivery id, forever (the scheme has no timestamp).
	it('a custom scheme replayId taken from an unsigned header cannot be used to replay a delivery', async () => {
		const github: CustomScheme = {
			canonicalize: ({ header, body }) => {
				const signature = header('x-hub-signature-256')
				if (!signature?.startsWith('sha256=')) return undefined
				return {
					signatures: [signature.slice(7)],
					content: body,
				}
			},
			encoding: 'hex',
			requireTimestamp: false,
		}
		const clock = fakeClock()
		const h = harness({
			scheme: github,
			secrets: async () => 'gh-secret',
			replayStore: dynamoReplayStore({ tableName, client: ddb }),
			now: clock.now,
		})
		const body = uniqueBody()
		const signature = `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`
		const delivery = (id: string) =>
			httpApiEvent({
				method: 'POST',
				body,
				headers: {
					'x-hub-signature-256': signature,
					'x-github-delivery': id,
					'x-tenant-id': 'acme',
				},
			})
		expect((await h.handler(delivery('72d3162e-0001'))).statusCode).toBe(200)
		// Same body, same signature, the exact same request content: only the unsigned id changed.
		expect((await h.handler(delivery('72d3162e-0001'))).statusCode).toBe(401)
		expect((await h.handler(delivery('attacker-chosen-2'))).statusCode).toBe(401)
		expect(h.seen).toHaveLength(1)
	})

	// The replay key is the HMAC under the tenant's *current* secret. A request signed with the
	// old secret before a rotation is recorded under HMAC(old); after the rotation the same bytes
	// still verify (previous secret) but are recorded under HMAC(new): a second record, so the
	// replay is accepted. An attacker can force the pick-up of the new secret with one bad request.
	it('a request replayed after a secret rotation is still recognised as a replay', async () => {
		const clock = fakeClock()
		let stored: string[] = ['old-secret']
		const h = harness({
			secrets: async () => stored,
			replayStore: dynamoReplayStore({ tableName, client: ddb }),
			now: clock.now,
		})
		const captured = signedEvent({
			secret: 'old-secret',
			body: uniqueBody(),
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		expect((await h.handler(structuredClone(captured))).statusCode).toBe(200)
		expect((await h.handler(structuredClone(captured))).statusCode).toBe(401) // replay: refused
		// Rotation: the JSON now holds the new secret and, as previous, the old one.
		stored = ['new-secret', 'old-secret']
		clock.advance(6_000)
		// Any bad signature makes the middleware refetch the secret (older than refetchGraceMs).
		const forged = signedEvent({
			secret: 'guess',
			body: '{}',
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		expect((await h.handler(forged)).statusCode).toBe(401)
		// 6 s after capture, well inside the 300 s tolerance: the same request again.
		expect((await h.handler(structuredClone(captured))).statusCode).toBe(401)
		expect(h.seen).toHaveLength(1)
	})
})

describe('unknown tenants', () => {
	// Negative entries for unknown tenants share the one LRU (cache.maxEntries, default 1,000)
	// with real tenants' secrets. 1,000 unauthenticated requests with made-up tenant ids (each
	// also one GetSecretValue) evict every real secret; if Secrets Manager then throttles (which
	// such a flood invites), real tenants get 503 although their secret was fetched seconds ago
	// and should be served for ttlMs + staleIfErrorMs.
	it('a flood of made-up tenant ids does not evict a real tenant secret (503 on the next outage)', async () => {
		const prefix = freshPrefix()
		secretsManager.putSecret(`${prefix}/acme`, { shared_secret: 'acme-secret' })
		const clock = fakeClock()
		const h = harness({ secrets: { prefix, client: sm }, now: clock.now })
		const sign = (tenantId: string, secret: string) =>
			signedEvent({ secret, body: '{"a":1}', tenantId, timestamp: clock.date() })
		expect((await h.handler(sign('acme', 'acme-secret'))).statusCode).toBe(200)

		const before = secretsManager.calls()
		for (let batch = 0; batch < 20; batch++) {
			const responses = await Promise.all(
				Array.from({ length: 50 }, (_, index) =>
					h.handler(sign(`ghost-${batch}-${index}`, 'forged')),
				),
			)
			expect(responses.every((response) => response.statusCode === 401)).toBe(true)
		}
		expect(secretsManager.calls() - before).toBe(1000) // one GetSecretValue per made-up id

		clock.advance(1_000) // the real secret is 1 s old: well within ttlMs (300 s)
		secretsManager.faults.inject({ type: 'throttle' })
		const response = await h.handler(sign('acme', 'acme-secret'))
		expect(response.statusCode).toBe(200)
	})

	// README: "An unknown or invalid tenant still costs one HMAC ... so response time does not
	// tell which tenants exist." But a bad signature for a real tenant makes a GetSecretValue
	// round trip once per refetchGraceMs (5 s): were an unknown tenant answered from the
	// negative cache for longer, probing every 6 s would tell them apart by latency.
	it('a bad signature costs the same Secrets Manager round trips for a real and an unknown tenant', async () => {
		const prefix = freshPrefix()
		secretsManager.putSecret(`${prefix}/acme`, {
			shared_secret: 'acme-secret',
			previous_shared_secret: 'acme-old',
		})
		const clock = fakeClock()
		const h = harness({ secrets: { prefix, client: sm }, now: clock.now })
		const probe = (tenantId: string) =>
			h.handler(signedEvent({ secret: 'forged', body: '{}', tenantId, timestamp: clock.date() }))
		// First probe of each: one fetch each (cold), as expected.
		await probe('acme')
		await probe('ghost')
		const real = secretsManager.calls(`${prefix}/acme`)
		const unknown = secretsManager.calls(`${prefix}/ghost`)
		for (let round = 0; round < 5; round++) {
			clock.advance(6_000)
			expect((await probe('acme')).statusCode).toBe(401)
			expect((await probe('ghost')).statusCode).toBe(401)
		}
		const realRoundTrips = secretsManager.calls(`${prefix}/acme`) - real
		const unknownRoundTrips = secretsManager.calls(`${prefix}/ghost`) - unknown
		expect(realRoundTrips).toBe(unknownRoundTrips)
	})
})

describe('secret safety with a secrets function', () => {
	// README: "Secret values ... never appear in errors, causes, logs"; the Secrets Manager path
	// replaces JSON.parse errors because "JSON.parse quotes its input". The secrets-function path
	// keeps the function's error as the `cause` of SecretUnavailableError, and
	// @middy/http-error-handler logs it: the typical function (fetch a SecretString, JSON.parse
	// it) leaks a secret stored as plain text instead of JSON into the logs.
	it('a JSON.parse error thrown by the secrets function does not carry the secret into the logs', async () => {
		const stored = 'hunter2-plain' // the tenant secret, stored without its JSON wrapper
		const clock = fakeClock()
		const h = harness({
			secrets: async () => (JSON.parse(stored) as { shared_secret: string }).shared_secret,
			now: clock.now,
		})
		const response = await h.handler(
			signedEvent({ secret: stored, body: '{}', tenantId: 'acme', timestamp: clock.date() }),
		)
		expect(response.statusCode).toBe(503)
		expect(deepText(h.logged)).not.toContain('hunter2')
	})
})
