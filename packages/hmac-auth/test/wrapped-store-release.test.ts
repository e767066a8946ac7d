import { describe, expect, it } from 'vitest'
import type { ReplayClaim, ReplayStore } from '../src/index.js'
import { fakeClock } from './helpers.js'
import { delivery, replayTable } from './replay-faults.js'

// A claim whose answer was lost is withdrawn by dynamoReplayStore itself, so the behaviour
// travels with the store: a store wrapping it (a metrics or logging decorator) keeps it, and the
// retry the 503 invites is processed.

const table = replayTable('replay-wrapped-store')

/** A decorator counting claims, as an application adds metrics to its store. */
class CountingStore implements ReplayStore {
	claims = 0
	constructor(private readonly inner: ReplayStore) {}
	claim(claim: ReplayClaim) {
		this.claims++
		return this.inner.claim(claim)
	}
	release(claim: ReplayClaim) {
		return this.inner.release?.(claim) ?? Promise.resolve()
	}
}

const wrappers: [string, (inner: ReplayStore) => ReplayStore][] = [
	['a class delegating to it', (inner) => new CountingStore(inner)],
	[
		'an object delegating both methods',
		(inner) => ({
			claim: (claim) => inner.claim(claim),
			release: (claim) => inner.release?.(claim) ?? Promise.resolve(),
		}),
	],
]

describe('dynamoReplayStore wrapped by the application, releaseReplayOnServerError', () => {
	it.each(wrappers)(
		'wrapped in %s: a claim whose answer was lost is released, and the retry is processed',
		async (_, wrapStore) => {
			const clock = fakeClock()
			const app = table.application({ clock, releaseReplayOnServerError: true, wrapStore })
			const container = app.container(1)
			container.loseNextClaim() // DynamoDB applies the claim, its answer is lost
			const event = delivery(clock)
			expect(await container.send(event)).toBe(503)
			expect(await container.send(event)).toBe(200) // the sender's retry after Retry-After, as unwrapped
			expect(app.runs).toBe(1)
		},
	)
})
