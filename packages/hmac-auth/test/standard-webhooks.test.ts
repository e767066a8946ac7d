import { readFileSync } from 'node:fs'
import { httpApiEvent } from '@tenantry/testing'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { signRequest } from '../src/index.js'
import { fakeClock, harness, lastReason, unauthorizedResponse } from './helpers.js'

interface VerificationCase {
	name: string
	expect: 'ok' | 'error' | 'config-error'
	secret?: string
	removeHeader?: string
	setHeader?: Record<string, string>
	truncateSignatureTo?: number
	timestampOffsetSeconds?: number
	signatureList?: string[]
}

const vectors = JSON.parse(
	readFileSync(new URL('./fixtures/standard-webhooks.json', import.meta.url), 'utf8'),
) as {
	source: string
	signing: {
		secret: string
		id: string
		timestamp: number
		payload: string
		expectedSignature: string
	}[]
	verification: {
		secret: string
		id: string
		payload: string
		toleranceSeconds: number
		cases: VerificationCase[]
	}
}

const challenge = 'Standard-Webhooks realm="api"'

const webhookHarness = (secret: string | string[], clock = fakeClock()) => ({
	clock,
	h: harness({ scheme: 'standard-webhooks', secrets: async () => secret, now: clock.now }),
})

const event = (headers: Record<string, string>, body: string, extra: object = {}) =>
	httpApiEvent({
		method: 'POST',
		path: '/webhooks',
		body,
		headers: { 'x-tenant-id': 'acme', ...headers },
		...extra,
	})

describe('the Standard Webhooks test vectors', () => {
	it('come from the reference repository', () => {
		expect(vectors.source).toMatch(/standard-webhooks\/standard-webhooks/)
	})

	it.each(vectors.signing)('signRequest produces the expected signature for $id', (vector) => {
		const headers = signRequest({
			scheme: 'standard-webhooks',
			secret: vector.secret,
			id: vector.id,
			timestamp: vector.timestamp,
			body: vector.payload,
		})
		expect(headers).toEqual({
			'webhook-id': vector.id,
			'webhook-timestamp': String(vector.timestamp),
			'webhook-signature': vector.expectedSignature,
		})
	})

	it.each(vectors.signing)(
		'the middleware accepts the signing vector at its time',
		async (vector) => {
			const { h } = webhookHarness(vector.secret, fakeClock(vector.timestamp * 1000))
			const headers = {
				'webhook-id': vector.id,
				'webhook-timestamp': String(vector.timestamp),
				'webhook-signature': vector.expectedSignature,
			}
			expect((await h.handler(event(headers, vector.payload))).statusCode).toBe(200)
		},
	)

	const { verification } = vectors
	it.each(verification.cases)('verification case "$name": $expect', async (vectorCase) => {
		const secret = vectorCase.secret ?? verification.secret
		const clock = fakeClock()
		const timestamp = Math.floor(clock.now() / 1000) + (vectorCase.timestampOffsetSeconds ?? 0)
		if (vectorCase.expect === 'config-error') {
			expect(() => new Webhook(secret)).toThrow()
			expect(() =>
				signRequest({ scheme: 'standard-webhooks', secret, body: verification.payload }),
			).toThrow(TypeError)
			const { h } = webhookHarness(secret, clock)
			const headers = {
				'webhook-id': verification.id,
				'webhook-timestamp': String(timestamp),
				'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
			}
			expect(await h.handler(event(headers, verification.payload))).toEqual({
				statusCode: 500,
				headers: {},
			})
			expect(lastReason(h)).toBe('hmac_secret_malformed')
			return
		}
		const valid = new Webhook(secret).sign(
			verification.id,
			new Date(timestamp * 1000),
			verification.payload,
		)
		const headers: Record<string, string> = {
			'webhook-id': verification.id,
			'webhook-timestamp': String(timestamp),
			'webhook-signature': valid,
		}
		if (vectorCase.removeHeader) delete headers[vectorCase.removeHeader]
		Object.assign(headers, vectorCase.setHeader)
		if (vectorCase.truncateSignatureTo !== undefined)
			headers['webhook-signature'] = valid.slice(0, vectorCase.truncateSignatureTo)
		if (vectorCase.signatureList)
			headers['webhook-signature'] = vectorCase.signatureList
				.map((entry) => (entry === '<valid>' ? valid : entry))
				.join(' ')
		const { h } = webhookHarness(secret, clock)
		const response = await h.handler(event(headers, verification.payload))
		if (vectorCase.expect === 'ok') expect(response.statusCode).toBe(200)
		else expect(response).toEqual(unauthorizedResponse(challenge))
	})
})

describe('interoperability with the standardwebhooks package', () => {
	const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
	const payload = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1', amount: 4200 } })

	it('accepts requests signed by new Webhook(secret).sign(id, date, payload)', async () => {
		const { h, clock } = webhookHarness(secret)
		const webhook = new Webhook(secret)
		for (const id of ['msg_1', 'msg_2JxhXtlqaXZ6RzKQ9r8GKY', 'evt-42']) {
			const timestamp = String(Math.floor(clock.now() / 1000))
			const headers = {
				'webhook-id': id,
				'webhook-timestamp': timestamp,
				'webhook-signature': webhook.sign(id, clock.date(), payload),
			}
			expect((await h.handler(event(headers, payload))).statusCode).toBe(200)
			expect((await h.handler(event(headers, payload, { isBase64Encoded: true }))).statusCode).toBe(
				200,
			)
		}
		expect(h.seen).toHaveLength(6)
	})

	it('produces headers that Webhook#verify accepts', () => {
		const headers = signRequest({ scheme: 'standard-webhooks', secret, body: payload, id: 'msg_9' })
		expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload))
	})

	it('verifies during a sender-side rotation (two signatures) and a receiver-side one (two secrets)', async () => {
		const next = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
		const { h, clock } = webhookHarness([next, secret])
		const id = 'msg_rot'
		const timestamp = String(Math.floor(clock.now() / 1000))
		const old = new Webhook(secret).sign(id, clock.date(), payload)
		const fresh = new Webhook(next).sign(id, clock.date(), payload)
		for (const signature of [old, fresh, `${fresh} ${old}`, `v1a,ignored ${old}`]) {
			const headers = {
				'webhook-id': id,
				'webhook-timestamp': timestamp,
				'webhook-signature': signature,
			}
			expect((await h.handler(event(headers, payload))).statusCode).toBe(200)
		}
	})

	it('refuses a header listing several well-formed signatures when none of them matches', async () => {
		// Any one matching signature verifies the request: two or more wrong ones must not add up
		// to a match. Each here is a real signature of the tenant, over another message.
		const { h, clock } = webhookHarness(secret)
		const timestamp = String(Math.floor(clock.now() / 1000))
		const elsewhere = (id: string) => new Webhook(secret).sign(id, clock.date(), payload)
		for (const signature of [
			`${elsewhere('msg_a')} ${elsewhere('msg_b')}`,
			`${elsewhere('msg_a')} ${elsewhere('msg_b')} ${elsewhere('msg_c')}`,
		]) {
			const headers = {
				'webhook-id': 'msg_sent',
				'webhook-timestamp': timestamp,
				'webhook-signature': signature,
			}
			expect(await h.handler(event(headers, payload))).toEqual(unauthorizedResponse(challenge))
			expect(lastReason(h)).toBe('hmac_signature_mismatch')
		}
		expect(h.seen).toEqual([])
	})

	it('answers every failure with the Standard-Webhooks challenge', async () => {
		const { h, clock } = webhookHarness(secret)
		const id = 'msg_bad'
		const timestamp = String(Math.floor(clock.now() / 1000))
		const valid = new Webhook(secret).sign(id, clock.date(), payload)
		const cases: [Record<string, string>, string][] = [
			[
				{ 'webhook-id': id, 'webhook-timestamp': `0${timestamp}`, 'webhook-signature': valid },
				'hmac_malformed_timestamp',
			],
			[
				{ 'webhook-id': id, 'webhook-timestamp': `${timestamp}.5`, 'webhook-signature': valid },
				'hmac_malformed_timestamp',
			],
			[
				{ 'webhook-id': 'msg 1', 'webhook-timestamp': timestamp, 'webhook-signature': valid },
				'hmac_malformed_message_id',
			],
			[
				{
					'webhook-id': 'x'.repeat(257),
					'webhook-timestamp': timestamp,
					'webhook-signature': valid,
				},
				'hmac_malformed_message_id',
			],
			[
				{
					'webhook-id': id,
					'webhook-timestamp': timestamp,
					'webhook-signature': valid.replace('v1,', 'v2,'),
				},
				'hmac_malformed_signature',
			],
			[
				{
					'webhook-id': id,
					'webhook-timestamp': timestamp,
					'webhook-signature': `${valid} `.repeat(17).trim(),
				},
				'hmac_malformed_signature',
			],
			[
				{ 'webhook-id': 'msg_other', 'webhook-timestamp': timestamp, 'webhook-signature': valid },
				'hmac_signature_mismatch',
			],
		]
		for (const [headers, reason] of cases) {
			expect(await h.handler(event(headers, payload))).toEqual(unauthorizedResponse(challenge))
			expect(lastReason(h)).toBe(reason)
		}
	})

	it('refuses a valid signature in a header with a stray space, past 4,096 characters, or not labelled exactly v1,', async () => {
		// The header's bounds hold even around a signature that matches: a stray space is not a
		// sender's output, and the length cap bounds the entries (ignored ones too) split per request.
		const { h, clock } = webhookHarness(secret)
		const id = 'msg_bounds'
		const timestamp = String(Math.floor(clock.now() / 1000))
		const valid = new Webhook(secret).sign(id, clock.date(), payload)
		/** `valid` then one ignored `v1a` entry, `length` characters in all. */
		const padded = (length: number) => `${valid} v1a,${'x'.repeat(length - valid.length - 5)}`
		const send = (signature: string) =>
			h.handler(
				event(
					{ 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature },
					payload,
				),
			)
		expect(padded(4096)).toHaveLength(4096)
		expect((await send(padded(4096))).statusCode).toBe(200)
		for (const signature of [
			padded(4097),
			`${valid}  ${valid}`,
			` ${valid}`,
			`${valid} `,
			valid.replace('v1,', 'v1:'),
		]) {
			expect(await send(signature)).toEqual(unauthorizedResponse(challenge))
			expect(lastReason(h)).toBe('hmac_malformed_signature')
		}
		expect(h.seen).toHaveLength(1)
	})

	it('reads configured header names and the tenant from tenantIdFrom', async () => {
		const clock = fakeClock()
		const h = harness({
			scheme: 'standard-webhooks',
			headers: { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' },
			tenantIdFrom: (e) => e.pathParameters?.tenant,
			secrets: async () => secret,
			now: clock.now,
		})
		const signed = signRequest({
			scheme: 'standard-webhooks',
			secret,
			body: payload,
			timestamp: clock.date(),
		})
		const headers = {
			'Svix-Id': signed['webhook-id'] ?? '',
			'Svix-Timestamp': signed['webhook-timestamp'] ?? '',
			'Svix-Signature': signed['webhook-signature'] ?? '',
		}
		const e = httpApiEvent({
			method: 'POST',
			body: payload,
			headers,
			pathParameters: { tenant: 'acme' },
		})
		expect((await h.handler(e)).statusCode).toBe(200)
		expect(h.seen).toEqual([{ method: 'hmac', tenantId: 'acme' }])
	})

	it('rejects secrets that are not whsec_ base64 of 24 to 64 bytes as a configuration error', async () => {
		const clock = fakeClock()
		for (const bad of [
			'plain',
			`whsec_${Buffer.alloc(16).toString('base64')}`,
			`whsec_${Buffer.alloc(65).toString('base64')}`,
			'whsec_!!!!',
		]) {
			const { h } = webhookHarness(bad, clock)
			const headers = {
				'webhook-id': 'm',
				'webhook-timestamp': String(clock.now() / 1000),
				'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
			}
			expect((await h.handler(event(headers, payload))).statusCode).toBe(500)
		}
		const bare = Buffer.alloc(24, 1).toString('base64')
		const { h } = webhookHarness(bare, clock)
		const headers = signRequest({
			scheme: 'standard-webhooks',
			secret: bare,
			body: payload,
			timestamp: clock.date(),
		})
		expect((await h.handler(event(headers, payload))).statusCode).toBe(200)
	})

	it('accepts whsec_ secrets at both ends of the range, 24 and 64 bytes', async () => {
		// The bounds are inclusive: a provider issuing 64-byte secrets must not get 500s.
		const clock = fakeClock()
		for (const size of [24, 64]) {
			const edge = `whsec_${Buffer.alloc(size, 3).toString('base64')}`
			const { h } = webhookHarness(edge, clock)
			const headers = signRequest({
				scheme: 'standard-webhooks',
				secret: edge,
				body: payload,
				timestamp: clock.date(),
			})
			expect((await h.handler(event(headers, payload))).statusCode).toBe(200)
		}
	})
})
