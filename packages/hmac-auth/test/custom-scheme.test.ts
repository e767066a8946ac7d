import { createHmac } from 'node:crypto'
import { httpApiEvent } from '@tenantry/testing'
import { describe, expect, it } from 'vitest'
import type { CustomScheme } from '../src/index.js'
import { fakeClock, harness, lastReason, unauthorizedResponse } from './helpers.js'

/** GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body, no timestamp, a delivery id. */
const github: CustomScheme = {
	canonicalize: ({ header, body }) => {
		const signature = header('X-Hub-Signature-256')
		if (!signature?.startsWith('sha256=')) return undefined
		return {
			signatures: [signature.slice(7)],
			content: body,
		}
	},
	encoding: 'hex',
	requireTimestamp: false,
	challenge: 'HMAC realm="github"',
}

/** Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>]` over `${t}.${body}`. */
const stripe: CustomScheme = {
	canonicalize: ({ header, body }) => {
		const parts = (header('stripe-signature') ?? '').split(',').map((part) => part.split('='))
		const t = parts.find(([key]) => key === 't')?.[1]
		const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '')
		if (t === undefined || signatures.length === 0) return undefined
		return { signatures, content: [`${t}.`, body], timestamp: t }
	},
	encoding: 'hex',
}

describe('a custom scheme', () => {
	it("verifies GitHub's documented example (secret It's a Secret to Everybody, body Hello, World!)", async () => {
		const h = harness({ scheme: github, secrets: async () => "It's a Secret to Everybody" })
		const headers = {
			'X-Hub-Signature-256':
				'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
			'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
			'x-tenant-id': 'acme',
		}
		const ok = httpApiEvent({ method: 'POST', body: 'Hello, World!', headers })
		expect((await h.handler(ok)).statusCode).toBe(200)
		const tampered = httpApiEvent({ method: 'POST', body: 'Hello, World?', headers })
		expect(await h.handler(tampered)).toEqual(unauthorizedResponse('HMAC realm="github"'))
		const unsigned = httpApiEvent({
			method: 'POST',
			body: 'Hello, World!',
			headers: { 'x-tenant-id': 'acme' },
		})
		expect(await h.handler(unsigned)).toEqual(unauthorizedResponse('HMAC realm="github"'))
		expect(lastReason(h)).toBe('hmac_missing_credentials')
	})

	it('checks a Stripe-style timestamp with the same tolerance rules', async () => {
		const clock = fakeClock()
		const secret = 'whsec_stripe_like'
		const h = harness({
			scheme: stripe,
			secrets: async () => secret,
			now: clock.now,
			toleranceSec: 300,
		})
		const body = '{"id":"evt_1"}'
		const signed = (t: number) => {
			const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
			return httpApiEvent({
				method: 'POST',
				body,
				headers: {
					'stripe-signature': `t=${t},v1=${'0'.repeat(64)},v1=${v1}`,
					'x-tenant-id': 'acme',
				},
			})
		}
		const now = clock.now() / 1000
		expect((await h.handler(signed(now))).statusCode).toBe(200)
		expect((await h.handler(signed(now - 300))).statusCode).toBe(401)
		expect(lastReason(h)).toBe('hmac_timestamp_out_of_tolerance')
		expect((await h.handler(signed(now + 300))).statusCode).toBe(401)
	})

	it('supports sha512 with base64url signatures and whsec secrets', async () => {
		const key = Buffer.alloc(32, 3)
		const scheme: CustomScheme = {
			canonicalize: ({ header, body }) => ({
				signatures: [header('x-sig') ?? ''],
				content: body,
				timestamp: header('x-ts'),
			}),
			encoding: 'base64url',
			algorithm: 'sha512',
			secretEncoding: 'whsec',
		}
		const clock = fakeClock()
		const h = harness({
			scheme,
			secrets: async () => `whsec_${key.toString('base64')}`,
			now: clock.now,
		})
		const body = 'payload'
		const sig = createHmac('sha512', key).update(body).digest('base64url')
		const headers = { 'x-sig': sig, 'x-ts': String(clock.now() / 1000), 'x-tenant-id': 'acme' }
		expect((await h.handler(httpApiEvent({ method: 'POST', body, headers }))).statusCode).toBe(200)
		const padded = { ...headers, 'x-sig': `${sig}==` }
		expect(
			(await h.handler(httpApiEvent({ method: 'POST', body, headers: padded }))).statusCode,
		).toBe(200)
		const hex = { ...headers, 'x-sig': createHmac('sha512', key).update(body).digest('hex') }
		expect((await h.handler(httpApiEvent({ method: 'POST', body, headers: hex }))).statusCode).toBe(
			401,
		)
		expect(lastReason(h)).toBe('hmac_malformed_signature')
	})

	it('requires a timestamp unless requireTimestamp is false', async () => {
		const scheme: CustomScheme = {
			canonicalize: ({ header, body }) => ({ signatures: [header('x-sig') ?? ''], content: body }),
			encoding: 'hex',
		}
		const h = harness({ scheme, secrets: async () => 's' })
		const sig = createHmac('sha256', 's').update('b').digest('hex')
		const e = httpApiEvent({
			method: 'POST',
			body: 'b',
			headers: { 'x-sig': sig, 'x-tenant-id': 'acme' },
		})
		expect(await h.handler(e)).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_missing_credentials')
	})

	it('answers 401 when canonicalize throws or returns nonsense, keeping the error for the logs', async () => {
		const failure = new Error('bad header')
		const throwing: CustomScheme = {
			canonicalize: () => {
				throw failure
			},
			encoding: 'hex',
		}
		const h = harness({ scheme: throwing, secrets: async () => 's' })
		const e = httpApiEvent({ method: 'POST', body: 'b', headers: { 'x-tenant-id': 'acme' } })
		expect(await h.handler(e)).toEqual(unauthorizedResponse())
		expect((h.logged[0] as { cause: { cause: unknown } }).cause.cause).toBe(failure)
		const nonsense: CustomScheme = {
			canonicalize: () => ({ signatures: ['00'], content: 42 as never, timestamp: '1' }),
			encoding: 'hex',
		}
		const h2 = harness({ scheme: nonsense, secrets: async () => 's' })
		expect(await h2.handler(e)).toEqual(unauthorizedResponse())
		expect(lastReason(h2)).toBe('hmac_canonicalize_failed')
	})

	it.each<[string, Record<string, unknown>, string]>([
		['no signatures', { signatures: [] }, 'hmac_missing_credentials'],
		['signatures that are not a list', { signatures: 'abc' }, 'hmac_missing_credentials'],
		[
			'only signatures that are not strings',
			{ signatures: [42, null] },
			'hmac_malformed_signature',
		],
		['a timestamp that is not a string', { timestamp: 1_795_428_000 }, 'hmac_malformed_timestamp'],
	])('answers 401 to canonicalize returning %s', async (_, returned, reason) => {
		// A timestamp equal to the clock's, in Unix seconds: only its type is wrong.
		const clock = fakeClock()
		expect(clock.now()).toBe(1_795_428_000_000)
		const scheme: CustomScheme = {
			canonicalize: ({ body }) => ({
				signatures: [createHmac('sha256', 's').update(body).digest('hex')],
				content: body,
				timestamp: '1795428000',
				...returned,
			}),
			encoding: 'hex',
		}
		const h = harness({ scheme, secrets: async () => 's', now: clock.now })
		const e = httpApiEvent({ method: 'POST', body: 'b', headers: { 'x-tenant-id': 'acme' } })
		expect(await h.handler(e)).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe(reason)
	})

	it('passes over signatures that are not strings and verifies the others', async () => {
		const scheme: CustomScheme = {
			canonicalize: ({ body }) => ({
				signatures: [42, createHmac('sha256', 's').update(body).digest('hex')] as string[],
				content: body,
			}),
			encoding: 'hex',
			requireTimestamp: false,
		}
		const h = harness({ scheme, secrets: async () => 's' })
		const e = httpApiEvent({ method: 'POST', body: 'b', headers: { 'x-tenant-id': 'acme' } })
		expect((await h.handler(e)).statusCode).toBe(200)
		expect(h.seen).toEqual([{ method: 'hmac', tenantId: 'acme' }])
	})

	it('answers 500, not 401 to everyone, when canonicalize returns a promise, and keeps its failure handled', async () => {
		const returnsPromise: CustomScheme = {
			canonicalize: () => Promise.reject(new Error('canonicalize must not be async')) as never,
			encoding: 'hex',
		}
		const h = harness({ scheme: returnsPromise, secrets: async () => 'secret' })
		const event = httpApiEvent({ method: 'POST', body: '{}', headers: { 'x-tenant-id': 'acme' } })
		const response = await h.handler(event)
		expect(response.statusCode).toBe(500)
		expect(response.body ?? '').not.toMatch(/promise|canonicalize/i)
		expect(h.seen).toEqual([])
		expect(String(h.logged[0])).toMatch(/scheme.canonicalize returned a promise/)
	})
})
