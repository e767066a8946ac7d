import { ScanCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { fakeClock } from './helpers.js'
import { delivery, replayTable } from './replay-faults.js'

// With releaseReplayOnServerError, every replay of a request whose handler answers 5xx (its
// database is down) claims the record and is then released, adding the claim's token to
// `withdrawnTokens`. Left to grow, whoever captured the request could fill the item up to
// DynamoDB's 400 KB, after which every claim of that message would fail (a 503 until TTL deleted
// it). The set stops at 100 tokens: the message then falls back to at most once.

const tableName = 'replay-withdrawn-size'
const table = replayTable(tableName)

describe('withdrawnTokens under replays of a request that fails with a 5xx', () => {
	it('stop at 100 tokens: later failures are not released, and the message is then at most once', async () => {
		const clock = fakeClock()
		let databaseDown = true
		const app = table.application({
			clock,
			handle: () => {
				if (databaseDown) throw new Error('the database is down')
			},
			releaseReplayOnServerError: true,
		})
		const { client, send: sendEvent } = app.container(2) // no faults armed
		const event = delivery(clock)
		const send = () => sendEvent(event)
		const record = async () => {
			const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName }))
			expect(Items).toHaveLength(1)
			return Items[0] as Record<string, { S?: string; SS?: string[] }>
		}

		expect(await send()).toBe(500) // the delivery: the database is down, released
		// The attacker replays the captured request: each replay runs (documented) and is released,
		// until the set is full.
		for (let i = 0; i < 99; i++) expect(await send()).toBe(500)
		expect((await record()).withdrawnTokens?.SS).toHaveLength(100)
		expect(await send()).toBe(500) // runs, but is no longer released
		expect(await send()).toBe(401)
		expect(app.runs).toBe(101)
		expect((await record()).withdrawnTokens?.SS).toHaveLength(100)

		databaseDown = false
		clock.advance(5_000) // Retry-After: the sender's retry, the database is back
		expect(await send()).toBe(401) // at most once from here on, never a 503
		expect(app.runs).toBe(101)
	})
})
