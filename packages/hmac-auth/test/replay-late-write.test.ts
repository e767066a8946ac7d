import { describe, expect, it } from 'vitest'
import { fakeClock } from './helpers.js'
import { delivery, replayTable } from './replay-faults.js'

// A request timeout is the client giving up, not DynamoDB: the PutItem it sent was received and
// may still be applied ("the request may or may not have succeeded"), after the store withdrew
// the claim. The withdrawn record must refuse that late write, so that the identical retry the
// 503 invites, whose handler never ran, is processed rather than refused as a replay.

const table = replayTable('replay-late-write')

describe('a claim whose write DynamoDB applies after the client gave up', () => {
	it("the 503's identical retry is processed (the handler never ran)", async () => {
		const clock = fakeClock()
		const app = table.application({ clock })
		// The README's replay client (maxAttempts 2) against a DynamoDB that stalls: each attempt
		// of the claim's write times out on the client's side while DynamoDB still holds it, and
		// applies it once the store's withdrawal has been answered.
		const container = app.container(2)
		container.stallClaims(2, { landAfterWithdrawal: true })
		const event = delivery(clock)
		expect(await container.send(event)).toBe(503)
		expect(app.runs).toBe(0)
		await container.land() // DynamoDB works through what it received
		// The sender's retry after Retry-After, within the timestamp tolerance.
		clock.advance(5_000)
		expect(await container.send(event)).toBe(200)
		expect(app.runs).toBe(1)
		expect(await container.send(event)).toBe(401) // a replay after that
	})
})
