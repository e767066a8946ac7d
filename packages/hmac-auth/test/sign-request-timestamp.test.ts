import { describe, expect, it } from 'vitest'
import { signRequest } from '../src/index.js'
import { harness, signedEvent } from './helpers.js'

// signRequest validates a string timestamp against what hmacAuth reads ("a string as is
// (validated)"), but writes any number or Date it is given: a timestamp in milliseconds (the
// everyday slip `timestamp: Date.now()`) or a Date past year 9999 gives headers that no server
// accepts, so every request of that client is a 401 with nothing to tell it why.

const secret = 'acme-secret'
const whsec = `whsec_${Buffer.alloc(24, 7).toString('base64')}`

describe('signRequest timestamps it cannot write in a form hmacAuth reads', () => {
	it.each([
		['milliseconds, default scheme', { secret, body: '', timestamp: Date.now() }],
		[
			'milliseconds, standard-webhooks',
			{ secret: whsec, body: '', scheme: 'standard-webhooks', timestamp: Date.now() },
		],
		['a Date past year 9999', { secret, body: '', timestamp: new Date(Date.UTC(10_000, 0, 1)) }],
	])('are refused with a TypeError naming the option: %s', (_, options) => {
		expect(() => signRequest(options as never)).toThrow(TypeError)
		expect(() => signRequest(options as never)).toThrow("'signRequest.timestamp'")
	})

	it('whatever timestamp it writes, hmacAuth reads: a correctly signed request is never a 401', async () => {
		const now = Date.now()
		const h = harness({ secrets: async () => secret, now: () => now })
		let event: ReturnType<typeof signedEvent>
		try {
			event = signedEvent({ secret, body: '{}', tenantId: 'acme', timestamp: now })
		} catch (error) {
			expect(error).toBeInstanceOf(TypeError) // refused when signing: fine
			return
		}
		expect((await h.handler(event)).statusCode).toBe(200)
	})
})
