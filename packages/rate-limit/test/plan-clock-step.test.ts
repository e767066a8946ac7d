import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, type RateLimit, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * README: after a failed lookup the tenant's plan is not looked up again for a second, meanwhile
 * `onStoreError` answers. The clock is the wall clock, which can step back (an NTP step): that
 * second must not last as long as the step, or one failed lookup would answer a minute of
 * requests 503 ('deny'), or leave a tenant without a known plan unlimited for it ('allow').
 */

const start = Date.UTC(2026, 11, 5, 10, 0, 0)

/** A limiter with 'deny' whose plans table failed acme's first lookup and is back since. */
const afterFailedLookup = async () => {
	const clock = { now: start }
	const table = { up: false }
	const limits = (): RateLimit => {
		if (!table.up) throw new Error('plans table unreachable')
		return { requests: 10, windowSec: 60 }
	}
	const { invoke } = pipeline(
		tenantRateLimit({
			limits,
			store: memoryRateLimitStore(),
			onStoreError: 'deny',
			logger: () => undefined,
			now: () => clock.now,
		}),
	)
	expect((await invoke('acme')).statusCode).toBe(503)
	table.up = true
	return { invoke, clock }
}

describe('a clock that steps back', () => {
	it("does not stretch the second's wait after a failed lookup", async () => {
		const { invoke, clock } = await afterFailedLookup()
		// The clock steps back a minute; a second and a half later the table is looked up again.
		clock.now -= 60_000
		clock.now += 1_500
		expect((await invoke('acme')).statusCode).toBe(200)
	})

	it('does not bring the wait back when the clock, stepped back, reaches the failure again', async () => {
		const { invoke, clock } = await afterFailedLookup()
		// The clock steps back a minute; other tenants' requests go on for a minute, then acme's
		// comes, a minute and a half second after its failed lookup.
		clock.now -= 60_000
		for (let tenSeconds = 0; tenSeconds < 6; tenSeconds++) {
			expect((await invoke('globex')).statusCode).toBe(200)
			clock.now += 10_000
		}
		clock.now += 500
		expect((await invoke('acme')).statusCode).toBe(200)
	})
})
