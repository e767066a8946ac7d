import { sign as githubSign, verify as githubVerify } from '@octokit/webhooks-methods'
import { type Gateway, gatewayEvent, gateways } from '@tenantry/testing'
import type { HttpEventLike } from '@tenantry/util'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import type { CustomScheme, HmacAuthOptions } from '../src/index.js'
import { fakeClock, harness, lastReason } from './helpers.js'

// The README's provider recipes, copied as written there, checked with each provider's own
// library (or, for Slack, its documented example) signing and, where the library has one, its
// `verify` deciding the same requests.

/** README: GitHub. */
const github: HmacAuthOptions = {
	scheme: {
		canonicalize: ({ header, body }) => {
			const signature = header('x-hub-signature-256')
			if (!signature?.startsWith('sha256=')) return undefined // no credentials: 401
			return {
				signatures: [signature.slice(7)],
				content: body,
			}
		},
		encoding: 'hex',
		requireTimestamp: false,
	},
	tenantIdFrom: (event) => event.pathParameters?.tenant, // POST /webhooks/{tenant}
	secrets: { prefix: 'github-webhooks' },
}

/** README: Stripe. */
const stripeScheme: CustomScheme = {
	canonicalize: ({ header, body }) => {
		const fields = (header('stripe-signature') ?? '').split(',').map((field) => field.split('='))
		const t = fields.find(([name]) => name === 't')?.[1]
		const signatures = fields.filter(([name]) => name === 'v1').map(([, value]) => value ?? '')
		if (t === undefined || signatures.length === 0) return undefined
		return { signatures, content: [`${t}.`, body], timestamp: t }
	},
	encoding: 'hex',
	// Stripe's `whsec_…` secret is used as it is (its UTF-8 bytes), not base64-decoded: the
	// default `secretEncoding: 'utf8'`, not 'whsec'.
}

/** README: Slack. */
const slackScheme: CustomScheme = {
	canonicalize: ({ header, body }) => {
		const signature = header('x-slack-signature')
		const timestamp = header('x-slack-request-timestamp')
		if (!signature?.startsWith('v0=') || timestamp === undefined) return undefined
		return { signatures: [signature.slice(3)], content: [`v0:${timestamp}:`, body], timestamp }
	},
	encoding: 'hex',
}

const carriers = gateways

/**
 * The request as each gateway passes it: `base64` as API Gateway does for a content type it
 * does not treat as text (HTTP APIs, Function URLs and ALB for form posts, REST APIs with
 * binary media types), the UTF-8 string otherwise.
 */
const delivered = (
	carrier: Gateway,
	headers: Record<string, string>,
	sent: string,
	base64: boolean,
	pathParameters?: Record<string, string>,
): HttpEventLike => {
	const spec = {
		method: 'POST',
		path: '/webhooks/acme',
		headers,
		body: base64 ? Buffer.from(sent, 'utf8') : sent,
		...(pathParameters ? { pathParameters } : {}),
	}
	return gatewayEvent(carrier, spec) as HttpEventLike
}

const bodies = [
	JSON.stringify({ action: 'opened', issue: { title: 'Grüße, 世界 🚀', body: 'a\r\nb\u2028c' } }),
	`payload=${encodeURIComponent(JSON.stringify({ zen: 'Keep it logically awesome. ✓' }))}`,
	'{}',
]

describe('the README GitHub recipe', () => {
	const secret = 'It’s a Secret to Everybody ✓'

	it('accepts what @octokit/webhooks-methods signs, on every gateway, as text or base64', async () => {
		// ALB and Function URL events carry no route parameters: the tenant comes from elsewhere there.
		const h = harness({ ...github, secrets: async () => secret, tenantIdFrom: () => 'acme' })
		for (const carrier of carriers)
			for (const base64 of [false, true])
				for (const body of bodies) {
					const headers = {
						'X-Hub-Signature-256': await githubSign(secret, body),
						'X-GitHub-Event': 'issues',
						'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
						'content-type': body.startsWith('payload=')
							? 'application/x-www-form-urlencoded'
							: 'application/json',
					}
					const response = await h.handler(delivered(carrier, headers, body, base64))
					expect(response.statusCode, `${carrier} base64=${base64}`).toBe(200)
				}
		expect(h.seen).toHaveLength(carriers.length * 2 * bodies.length)
	})

	it('decides as @octokit/webhooks-methods verify does', async () => {
		const h = harness({ ...github, secrets: async () => secret })
		const body = bodies[0] as string
		const valid = await githubSign(secret, body)
		const cases: [string, string][] = [
			[valid, body],
			[await githubSign('another secret', body), body],
			[valid, `${body} `],
			[valid.replace('sha256=', 'sha1='), body],
			[`sha256=${'0'.repeat(64)}`, body],
		]
		for (const [signature, sent] of cases) {
			const theirs = await githubVerify(secret, sent, signature)
			const headers = { 'x-hub-signature-256': signature }
			const response = await h.handler(delivered('http', headers, sent, false, { tenant: 'acme' }))
			expect(response.statusCode === 200, signature).toBe(theirs)
		}
	})
})

describe('the README Stripe recipe', () => {
	const stripe = new Stripe('sk_test_unused')
	// The two shapes Stripe issues: the Dashboard's and the CLI's (64 hex digits, which is also
	// valid base64: `secretEncoding: 'whsec'` would turn it into a different key).
	const secrets = ['whsec_Wo9ufVXGBxL4hCJ2OQhbPqpzP7ZPGvHq', `whsec_${'3f9a'.repeat(16)}`]

	it('accepts what stripe.webhooks.generateTestHeaderString signs, on every gateway', async () => {
		const clock = fakeClock()
		for (const secret of secrets) {
			const h = harness({
				scheme: stripeScheme,
				secrets: async () => secret,
				tenantIdFrom: () => 'acme',
				now: clock.now,
			})
			for (const carrier of carriers)
				for (const base64 of [false, true])
					for (const body of bodies) {
						const header = stripe.webhooks.generateTestHeaderString({
							payload: body,
							secret,
							timestamp: clock.now() / 1000,
						})
						const headers = { 'Stripe-Signature': header }
						const response = await h.handler(delivered(carrier, headers, body, base64))
						expect(response.statusCode, `${carrier} base64=${base64}`).toBe(200)
					}
		}
	})

	it("refuses every request when the secret is base64-decoded ('whsec'), as the README warns", async () => {
		const clock = fakeClock()
		for (const secret of secrets) {
			const h = harness({
				scheme: { ...stripeScheme, secretEncoding: 'whsec' },
				secrets: async () => secret,
				tenantIdFrom: () => 'acme',
				now: clock.now,
			})
			const body = bodies[0] as string
			const header = stripe.webhooks.generateTestHeaderString({
				payload: body,
				secret,
				timestamp: clock.now() / 1000,
			})
			const event = delivered('http', { 'stripe-signature': header }, body, false)
			expect((await h.handler(event)).statusCode).toBe(401)
			expect(lastReason(h)).toBe('hmac_signature_mismatch')
		}
	})

	it('decides as stripe.webhooks.constructEvent does, except for timestamps from the future', async () => {
		const clock = fakeClock(Date.UTC(2026, 10, 23, 10, 0, 0, 400))
		const secret = secrets[0] as string
		const h = harness({
			scheme: stripeScheme,
			secrets: async () => secret,
			tenantIdFrom: () => 'acme',
			now: clock.now,
		})
		const body = bodies[0] as string
		const now = Math.floor(clock.now() / 1000)
		const signed = (t: number, key = secret, scheme = 'v1') =>
			stripe.webhooks.generateTestHeaderString({ payload: body, secret: key, timestamp: t, scheme })
		const cases: [string, string, 'same' | 'stricter'][] = [
			[signed(now), body, 'same'],
			[signed(now - 299), body, 'same'],
			[signed(now - 301), body, 'same'],
			[signed(now + 299), body, 'same'],
			[signed(now, 'whsec_other'), body, 'same'],
			[signed(now), `${body}\n`, 'same'],
			[signed(now, secret, 'v0'), body, 'same'],
			[`${signed(now, 'whsec_other')},v1=${signed(now).split('v1=')[1]}`, body, 'same'],
			// Fields Stripe adds for debugging, which both sides skip.
			[`${signed(now)},secret=whsec_****PGvHq, destination=we_1,payload=0a1b2c3d`, body, 'same'],
			// Stripe accepts any timestamp from the future; the README says we do not.
			[signed(now + 3600), body, 'stricter'],
		]
		for (const [header, sent, relation] of cases) {
			let theirs = true
			try {
				stripe.webhooks.constructEvent(sent, header, secret, 300, undefined, clock.now())
			} catch {
				theirs = false
			}
			const headers = { 'stripe-signature': header }
			const ours = (await h.handler(delivered('http', headers, sent, false))).statusCode === 200
			if (relation === 'same') expect(ours, header).toBe(theirs)
			else expect([ours, theirs], header).toEqual([false, true])
		}
	})
})

describe('the README Slack recipe', () => {
	// Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
	const secret = '8f742231b10e8888abcd99yyyzzz85a5'
	const timestamp = '1531420618'
	const body =
		'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
	const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'

	it("verifies Slack's example, a form post that HTTP APIs pass base64-encoded", async () => {
		const clock = fakeClock(Number(timestamp) * 1000 + 1_000)
		const h = harness({
			scheme: slackScheme,
			secrets: async () => secret,
			tenantIdFrom: () => 'acme',
			now: clock.now,
		})
		const headers = {
			'X-Slack-Signature': signature,
			'X-Slack-Request-Timestamp': timestamp,
			'content-type': 'application/x-www-form-urlencoded',
		}
		for (const carrier of carriers)
			for (const base64 of [false, true])
				expect((await h.handler(delivered(carrier, headers, body, base64))).statusCode).toBe(200)
		const tampered = delivered('http', headers, body.replace('foobar', 'foobaz'), true)
		expect((await h.handler(tampered)).statusCode).toBe(401)
		expect(lastReason(h)).toBe('hmac_signature_mismatch')
		clock.advance(300_000)
		expect((await h.handler(delivered('http', headers, body, true))).statusCode).toBe(401)
		expect(lastReason(h)).toBe('hmac_timestamp_out_of_tolerance')
	})
})
