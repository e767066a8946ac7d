import { isUtf8 } from 'node:buffer'
import { gatewayEvent, gateways } from '@tenantry/testing'
import type { HttpEventLike } from '@tenantry/util'
import fc from 'fast-check'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { Webhook as SvixWebhook } from 'svix'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { signRequest } from '../src/index.js'
import { harness, start } from './helpers.js'

// The README says requests signed by the `standardwebhooks` and `svix` libraries verify unchanged.
// Here both libraries sign requests as a sender would send them (any body, several signatures, a
// rotation, one thing off), each gateway delivers them, and the middleware's decision is held
// against the library's own `verify` on the bytes received: it must accept exactly what the
// library accepts, except for the stricter checks the README lists (timestamps written other
// than as canonical Unix seconds, a timestamp exactly 300 s or up to 301 s away, a header with
// empty or extra-comma entries, a body that is not UTF-8), which it must then refuse.
const numRuns = Number(process.env.TENANTRY_PROPERTY_RUNS ?? 2_000)
const toleranceSec = 300

type Library = 'standardwebhooks' | 'svix'

/** How each library reads and signs: svix prefers its own `svix-*` headers over `webhook-*`. */
const libraries = {
	standardwebhooks: {
		names: { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' },
		sign: (secret: string, id: string, at: Date, body: string | Buffer) =>
			new StandardWebhook(secret).sign(id, at, body),
		verify: (secret: string, body: Buffer, headers: Record<string, string>) => {
			new StandardWebhook(secret).verify(body, headers, { jsonParse: false })
		},
	},
	svix: {
		names: { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' },
		sign: (secret: string, id: string, at: Date, body: string | Buffer) =>
			new SvixWebhook(secret).sign(id, at, body),
		verify: (secret: string, body: Buffer, headers: Record<string, string>) => {
			new SvixWebhook(secret).verify(body, headers)
		},
	},
} as const

const accepts = (verify: () => void): boolean => {
	try {
		verify()
		return true
	} catch {
		return false
	}
}

/** `whsec_` + base64 of a key, as senders issue secrets, or the bare base64 both sides also read. */
const secretText = (key: Uint8Array, prefixed: boolean): string =>
	`${prefixed ? 'whsec_' : ''}${Buffer.from(key).toString('base64')}`

const key = fc.uint8Array({ minLength: 24, maxLength: 64 })

const scenario = fc.record({
	library: fc.constantFrom<Library>('standardwebhooks', 'svix'),
	key,
	otherKey: key,
	prefixed: fc.boolean(),
	id: fc.oneof(
		fc.stringMatching(/^msg_[A-Za-z0-9]{1,27}$/),
		fc.string({
			unit: fc.integer({ min: 0x21, max: 0x7e }).map(String.fromCharCode),
			minLength: 1,
		}),
	),
	body: fc.oneof(
		fc.json({ maxDepth: 2 }),
		fc.string({ unit: 'grapheme', maxLength: 80 }),
		// Lone surrogates: the sender's UTF-8 encoder writes U+FFFD for each.
		fc.string({ unit: 'binary', maxLength: 80 }),
		// Raw bytes, often not UTF-8: the libraries sign a Buffer decoded as UTF-8.
		fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
	),
	msIntoSecond: fc.integer({ min: 0, max: 999 }),
	offsetSec: fc.oneof(
		{ weight: 4, arbitrary: fc.integer({ min: -(toleranceSec - 1), max: toleranceSec - 1 }) },
		{ weight: 1, arbitrary: fc.constantFrom(-301, -300, 300, 301, -3600, 3600) },
	),
	timestampText: fc.oneof(
		{ weight: 6, arbitrary: fc.constant('canonical') },
		{ weight: 1, arbitrary: fc.constantFrom('leading-zero', 'fraction', 'suffix', 'plus-sign') },
	),
	layout: fc.oneof(
		{ weight: 3, arbitrary: fc.constant('valid') },
		{
			weight: 3,
			arbitrary: fc.constantFrom(
				'rotation',
				'with-v1a',
				'other-secret-only',
				'tampered-signature',
				'tampered-body',
			),
		},
		{ weight: 1, arbitrary: fc.constantFrom('double-space', 'extra-field') },
	),
	missing: fc.oneof(
		{ weight: 8, arbitrary: fc.constant('none') },
		{ weight: 1, arbitrary: fc.constantFrom('id', 'timestamp', 'signature') },
	),
	carrier: fc.constantFrom(...gateways),
	base64: fc.boolean(),
	casing: fc.constantFrom('lower', 'title', 'upper'),
})
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never

/** What a sender writes in the timestamp header, signing the integer seconds as the library does. */
const writeTimestamp = (seconds: number, form: string): string => {
	switch (form) {
		case 'leading-zero':
			return `0${seconds}`
		case 'fraction':
			return `${seconds}.0`
		case 'suffix':
			return `${seconds}abc`
		case 'plus-sign':
			return `+${seconds}`
		default:
			return String(seconds)
	}
}

/** An ed25519 (`v1a`) entry, which a symmetric verifier skips. */
const v1a = `v1a,${Buffer.alloc(64, 9).toString('base64')}`

const signatureHeader = (s: Scenario, valid: string, other: string): string => {
	switch (s.layout) {
		case 'rotation':
			return `${other} ${valid}`
		case 'with-v1a':
			return `${v1a} ${valid}`
		case 'other-secret-only':
			return other
		case 'tampered-signature': {
			const bytes = Buffer.from(valid.slice(3), 'base64')
			bytes[0] = (bytes[0] ?? 0) ^ 1
			return `v1,${bytes.toString('base64')}`
		}
		case 'double-space':
			return `${other}  ${valid}`
		case 'extra-field':
			return `${valid},x`
		default:
			return valid
	}
}

/**
 * The request as each gateway delivers it, the bytes sent as a string or base64-encoded (API
 * Gateway passes a text body as its UTF-8 string, anything else base64-encoded), as the
 * middleware's event type.
 */
const eventFor = (s: Scenario, headers: Record<string, string>, sent: Buffer): HttpEventLike => {
	const body = s.base64 ? sent : sent.toString('utf8')
	return gatewayEvent(
		s.carrier,
		{ method: 'POST', path: '/hooks', body, headers },
		s.casing,
	) as HttpEventLike
}

/** The differences the README documents, all of them refusals on our side. */
const stricterHere = (s: Scenario, sent: Buffer, timestampMs: number, nowMs: number): boolean =>
	s.timestampText !== 'canonical' ||
	!isUtf8(sent) ||
	Math.abs(timestampMs - nowMs) >= toleranceSec * 1000 ||
	s.layout === 'double-space' ||
	s.layout === 'extra-field'

describe('Standard Webhooks decisions, held against the standardwebhooks and svix libraries', () => {
	// The libraries read the clock through `Date.now()`; only `Date` is faked, so promises still run.
	beforeAll(() => {
		vi.useFakeTimers({ toFake: ['Date'] })
	})
	afterAll(() => {
		vi.useRealTimers()
	})

	it('accept exactly what the library accepts, refusing only where the README says we are stricter', async () => {
		let nowMs = start
		let secret = ''
		// A fresh tenant per run: each run's secret is a new one, which no cache may answer for.
		let run = 0
		const tenant = () => `t${run}`
		const receivers = {
			standardwebhooks: harness({
				scheme: 'standard-webhooks',
				secrets: async () => secret,
				tenantIdFrom: tenant,
				now: () => nowMs,
			}),
			svix: harness({
				scheme: 'standard-webhooks',
				headers: libraries.svix.names,
				secrets: async () => secret,
				tenantIdFrom: tenant,
				now: () => nowMs,
			}),
		}
		const decided = { both: 0, neither: 0, stricter: 0 }
		await fc.assert(
			fc.asyncProperty(scenario, async (s) => {
				const library = libraries[s.library]
				run++
				nowMs = start + s.msIntoSecond
				vi.setSystemTime(nowMs)
				secret = secretText(s.key, s.prefixed)
				const otherSecret = secretText(s.otherKey, s.prefixed)
				const seconds = Math.floor(nowMs / 1000) + s.offsetSec
				const at = new Date(seconds * 1000)
				const valid = library.sign(secret, s.id, at, s.body)
				const other = library.sign(otherSecret, s.id, at, s.body)
				const headers: Record<string, string> = {
					[library.names.id]: s.id,
					[library.names.timestamp]: writeTimestamp(seconds, s.timestampText),
					[library.names.signature]: signatureHeader(s, valid, other),
				}
				if (s.missing !== 'none') delete headers[library.names[s.missing]]
				const sent = Buffer.concat([
					Buffer.isBuffer(s.body) ? s.body : Buffer.from(s.body, 'utf8'),
					Buffer.from(s.layout === 'tampered-body' ? ' ' : ''),
				])
				const theirs = accepts(() => library.verify(secret, sent, headers))
				const receiver = receivers[s.library]
				const ran = receiver.seen.length
				const response = await receiver.handler(eventFor(s, headers, sent))
				const ours = response.statusCode === 200
				expect(response.statusCode).toBe(ours ? 200 : 401)
				expect(receiver.seen).toHaveLength(ran + (ours ? 1 : 0))
				// Never more lenient than the library.
				if (ours) expect(theirs).toBe(true)
				if (theirs && !ours) {
					expect(stricterHere(s, sent, seconds * 1000, nowMs)).toBe(true)
					decided.stricter++
				} else if (ours) decided.both++
				else decided.neither++
			}),
			{ numRuns },
		)
		// Both branches of the oracle must run, or a generator refusing everything would pass.
		expect(decided.both).toBeGreaterThan(numRuns / 10)
		expect(decided.neither).toBeGreaterThan(numRuns / 10)
	}, 120_000)

	it('signRequest writes headers both libraries accept, for any body and message id', () => {
		fc.assert(
			fc.property(
				key,
				fc.boolean(),
				fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
				fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ unit: 'grapheme', maxLength: 80 })),
				fc.integer({ min: 0, max: 999 }),
				fc.integer({ min: -299, max: 299 }),
				(bytes, prefixed, id, body, ms, offsetSec) => {
					const nowMs = start + ms
					vi.setSystemTime(nowMs)
					const secret = secretText(bytes, prefixed)
					const timestamp = Math.floor(nowMs / 1000) + offsetSec
					const headers = signRequest({ scheme: 'standard-webhooks', secret, body, id, timestamp })
					const sent = Buffer.from(body, 'utf8')
					new StandardWebhook(secret).verify(sent, headers, { jsonParse: false })
					new SvixWebhook(secret).verify(sent, headers)
					new SvixWebhook(secret).verify(body, {
						'svix-id': headers['webhook-id'] ?? '',
						'svix-timestamp': headers['webhook-timestamp'] ?? '',
						'svix-signature': headers['webhook-signature'] ?? '',
					})
				},
			),
			{ numRuns },
		)
	})
})
