import { describe, expect, it } from 'vitest'
import { fakeClock } from './helpers.js'
import { delivery, recordHeldByLostClaim, replayTable } from './replay-faults.js'

// Two containers receive the same delivery at once (the sender's own duplicate, or its re-send
// after its HTTP timeout while the first is still being handled). Both claims fail (503), so no
// handler ran, and the claim of one is applied by DynamoDB after its client gave up, as in
// replay-late-write.test.ts. The withdrawal of that claim runs while the other claim's write
// holds the record: its token must still reach `withdrawnTokens`, or, once the other claim is
// withdrawn (or released), the late write would hold the record and the sender's identical retry
// would be refused as a replay although no handler ever completed.

// No SDK retries, so one lost answer is the claim's failure.
const table = replayTable('replay-concurrent-withdraw')

describe('two containers, the same delivery at once, both claims fail', () => {
	it("a late claim whose withdrawal met the other claim's record does not refuse the sender's retry", async () => {
		const clock = fakeClock()
		const app = table.application({ clock })
		const one = app.container(1)
		const two = app.container(1)
		const event = delivery(clock)

		// claim A lands, its answer is lost; A's withdrawal is on its way; the record is A's
		const a = await recordHeldByLostClaim(one, event)
		two.stallClaims() // claim B is held by DynamoDB, the client times out
		expect(await two.send(event)).toBe(503) // B's withdrawal: the record is A's, condition fails
		a.withdraw()
		expect(await a.answer).toBe(503) // A withdrawn: the record only remembers A
		expect(app.runs).toBe(0)
		await two.land() // DynamoDB applies B's write late: B is not among the withdrawn tokens

		clock.advance(5_000) // Retry-After
		expect(await one.send(event)).toBe(200) // no handler ran: must be processed
		expect(app.runs).toBe(1)
	})

	it("releaseReplayOnServerError: a duplicate's late claim landing after the release does not refuse the retry", async () => {
		const clock = fakeClock()
		let inHandler!: () => void
		const entered = new Promise<void>((resolve) => (inHandler = resolve))
		let failNow!: () => void
		const failing = new Promise<void>((resolve) => (failNow = resolve))
		let fail = true
		const handle = async () => {
			if (!fail) return
			inHandler()
			await failing
			throw new Error('the database is down')
		}
		const app = table.application({ clock, handle, releaseReplayOnServerError: true })
		const one = app.container(1)
		const two = app.container(1)
		const event = delivery(clock)

		const first = one.send(event) // claim A succeeds; the handler is running
		await entered
		two.stallClaims() // the duplicate's claim B is held by DynamoDB, the client times out
		expect(await two.send(event)).toBe(503) // B's withdrawal: the record is A's, condition fails
		failNow()
		expect(await first).toBe(500) // 5xx: A released
		await two.land() // DynamoDB applies B's write late
		fail = false

		clock.advance(5_000)
		// README: "the sender's identical retry after `Retry-After` is processed (at least once)"
		expect(await one.send(event)).toBe(200)
		expect(app.runs).toBe(2)
	})
})
