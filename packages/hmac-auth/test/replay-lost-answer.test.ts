import { describe, expect, it } from 'vitest'
import { fakeClock } from './helpers.js'
import { delivery, replayTable } from './replay-faults.js'

// A DynamoDB write can succeed while its answer is lost: the client's request timeout (the
// README's replay client gives up after 1 s), a dropped connection, or a 500 that DynamoDB
// documents as "the request may or may not have succeeded". The conditional PutItem of a claim
// is not idempotent by itself: the SDK's retry (the README's client: maxAttempts 2) would find
// the record its own first attempt wrote, and answer the first delivery as a replay of itself.
// Each claim carries a token, so its own retry passes; without SDK retries, the 503 invites the
// sender's identical retry, which must then be processed.

const table = replayTable('replay-lost-answer')

/** A container whose claim is applied by DynamoDB and its answer lost (a transient error the SDK retries). */
const setup = (maxAttempts: number) => {
	const clock = fakeClock()
	const app = table.application({ clock })
	const container = app.container(maxAttempts)
	container.loseNextClaim()
	const event = delivery(clock)
	return { app, send: () => container.send(event) }
}

describe('a claim whose DynamoDB answer is lost', () => {
	it('with the README client (maxAttempts 2): the first delivery is processed, not refused as its own replay', async () => {
		const { app, send } = setup(2)
		expect(await send()).toBe(200)
		expect(app.runs).toBe(1)
	})

	it('without SDK retries: the 503 invites the identical retry, which is then processed (no option needed: the handler never ran)', async () => {
		const { app, send } = setup(1)
		expect(await send()).toBe(503)
		expect(await send()).toBe(200) // the sender's retry after Retry-After
		expect(app.runs).toBe(1)
		expect(await send()).toBe(401) // a replay after that is refused, as before
	})
})
