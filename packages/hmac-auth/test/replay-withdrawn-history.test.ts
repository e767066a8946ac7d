import { describe, expect, it } from 'vitest'
import { fakeClock } from './helpers.js'
import { delivery, replayTable } from './replay-faults.js'

// As replay-late-write.test.ts: DynamoDB may apply a claim's write after the client gave up on
// it. Every withdrawn (or released) claim's token is remembered with the record, not only the
// latest one's, so a late write of an earlier withdrawn claim cannot land either, and the
// identical retry, whose handler never ran (or failed with a 5xx under
// releaseReplayOnServerError), is processed rather than refused as a replay.

const table = replayTable('replay-withdrawn-history')

describe('withdrawn claims whose writes DynamoDB applies late', () => {
	it('two 503s in a row: the first claim landing after the second withdrawal does not refuse the next retry', async () => {
		const clock = fakeClock()
		const app = table.application({ clock, releaseReplayOnServerError: true })
		const container = app.container(1)
		const event = delivery(clock)

		container.stallClaims()
		expect(await container.send(event)).toBe(503) // claim A times out; withdrawn (record: withdrawnToken A)
		clock.advance(5_000) // Retry-After
		container.stallClaims()
		expect(await container.send(event)).toBe(503) // claim B times out; withdrawn (record: withdrawnToken B)
		expect(app.runs).toBe(0)
		await container.land() // DynamoDB applies A's write, then B's
		clock.advance(5_000)
		expect(await container.send(event)).toBe(200) // the handler never ran: must be processed
		expect(app.runs).toBe(1)
	})

	it('releaseReplayOnServerError: an earlier withdrawn claim landing after the release does not refuse the retry', async () => {
		const clock = fakeClock()
		let fail = true
		const app = table.application({
			clock,
			handle: () => {
				if (fail) throw new Error('the handler crashed')
			},
			releaseReplayOnServerError: true,
		})
		const container = app.container(1)
		const event = delivery(clock)

		container.stallClaims()
		expect(await container.send(event)).toBe(503) // claim A times out; withdrawn
		clock.advance(5_000)
		expect(await container.send(event)).toBe(500) // claim B passes the withdrawn record; 5xx: released
		fail = false
		await container.land() // DynamoDB applies A's write: the key is free again, so it lands
		clock.advance(5_000)
		expect(await container.send(event)).toBe(200) // the retry the release exists for
		expect(app.runs).toBe(2)
	})
})
