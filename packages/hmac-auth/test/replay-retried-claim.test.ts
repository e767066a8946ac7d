import { describe, expect, it } from 'vitest'
import { fakeClock } from './helpers.js'
import { delivery, recordHeldByLostClaim, replayTable } from './replay-faults.js'

// The README's replay client (maxAttempts 2): a claim's first attempt times out on the client's
// side while DynamoDB still holds it, and the SDK's retry meets another claim's record, so the
// claim answers "replay" (401) without withdrawing anything. That other claim is then withdrawn
// (its own write failed: 503, no handler ran). The first attempt, applied late, must not hold
// the record: the sender's identical retry the 503 invites must be processed.

const table = replayTable('replay-retried-claim')

describe("a claim whose SDK retry met another claim's record", () => {
	it("its first attempt, applied late, does not refuse the sender's retry (no handler ran)", async () => {
		const clock = fakeClock()
		const app = table.application({ clock })
		const one = app.container(1)
		const two = app.container(2) // the README's client
		const event = delivery(clock)

		// claim A lands, its answer is lost; the record is A's while A's withdrawal is on its way
		const a = await recordHeldByLostClaim(one, event)
		two.stallClaims() // B's first attempt is held by DynamoDB; the SDK retries
		expect(await two.send(event)).toBe(401) // B's retry meets A's record: a replay, at that time
		a.withdraw()
		expect(await a.answer).toBe(503) // A withdrawn
		expect(app.runs).toBe(0)
		await two.land() // DynamoDB applies B's first attempt late

		clock.advance(5_000) // Retry-After of A's 503
		// README: "The handler never ran, so the sender's identical retry must be processed, while
		// the claim's own write, which DynamoDB may still apply after the client gave up on it,
		// must not land later and refuse that retry"
		expect(await one.send(event)).toBe(200)
		expect(app.runs).toBe(1)
	})

	it('a late claim landing between its failed withdrawal and its remembering does not refuse the retry', async () => {
		const clock = fakeClock()
		const app = table.application({ clock })
		const one = app.container(1)
		const two = app.container(1)
		const event = delivery(clock)

		// claim A lands, its answer is lost; the record is A's while A's withdrawal is on its way
		const a = await recordHeldByLostClaim(one, event)
		two.stallClaims() // B's write is held by DynamoDB, the client times out
		const gateB = two.gateNext('remembering')
		const second = two.send(event) // B's withdrawal meets A's record: B is to be remembered
		await gateB.reached
		a.withdraw()
		expect(await a.answer).toBe(503) // A withdrawn: the record holds no claim
		await two.land() // DynamoDB applies B's write now, before B's token is remembered
		gateB.open()
		expect(await second).toBe(503)
		expect(app.runs).toBe(0)

		clock.advance(5_000) // Retry-After
		expect(await one.send(event)).toBe(200) // no handler ran: must be processed
		expect(app.runs).toBe(1)
	})
})
