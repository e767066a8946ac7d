import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline, tablePerTest } from './setup.js'

/**
 * Review findings: the window length was in neither the counter key
 * (`TENANT#<id>#RATE#<windowStartSec>`, now `…+<windowSec>s`) nor the exhausted-window memory
 * (tenant -> start), so windows of different lengths that start at the same instant shared
 * both. Each test failed on the reviewed code and now guards the fix.
 */

const local = tablePerTest('review-rate-limits')

/** The top of an hour: a start of every window of 1 s, 60 s and 3,600 s. */
const hour = Date.UTC(2026, 10, 23, 10, 0, 0)

describe('review: windows of different lengths collide', () => {
	it('a burst limit and an hourly limit on one store count separately', async () => {
		const store = local.store()
		const { invoke, calls } = pipeline([
			tenantRateLimit({ limits: { requests: 5, windowSec: 1 }, store, now: () => hour }),
			tenantRateLimit({ limits: { requests: 1_000, windowSec: 3_600 }, store, now: () => hour }),
		])
		const results = []
		for (let i = 0; i < 5; i++) results.push(await invoke('acme'))
		const counted = async (windowSec: number) => {
			const { Item } = await local.client.send(
				new GetItemCommand({
					TableName: local.tableName,
					Key: { pk: { S: `TENANT#acme#RATE#${hour / 1000}+${windowSec}s` }, sk: { S: 'RATE' } },
				}),
			)
			return Item?.count?.N
		}
		// Expected: five requests in the first second of the hour are within both limits, and
		// the hourly limit has 995 left. Observed: both middlewares increment the same item
		// (`TENANT#acme#RATE#<hour>`), so each request counts twice in each.
		expect({
			statuses: results.map((result) => result.statusCode),
			handlerRuns: calls.handler,
			burstCount: await counted(1),
			hourlyCount: await counted(3_600),
		}).toEqual({
			statuses: [200, 200, 200, 200, 200],
			handlerRuns: 5,
			burstCount: '5',
			hourlyCount: '5',
		})
		// Each response reports the limit closest to exhaustion: the burst limit.
		expect(results.map((result) => result.headers['RateLimit-Remaining'])).toEqual([
			'4',
			'3',
			'2',
			'1',
			'0',
		])
		expect(results[0]?.headers['RateLimit-Policy']).toBe('5;w=1')
	})

	it('a tenant upgraded from a per-minute to a per-hour plan is not held at 429 by the old window', async () => {
		const { invoke, state } = local.changingPlan({ requests: 2, windowSec: 60 }, hour)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(429)
		// The plan becomes 100 per hour; two minutes later the free minute is long over and
		// acme has used 2 (or 3) of its 100 hourly requests.
		state.plan = { requests: 100, windowSec: 3_600 }
		state.now = hour + 120_000
		const upgraded = await invoke('acme')
		// Observed: 429 from this container's memory for the rest of the hour, without asking
		// the store, because the exhausted minute and the new hour start at the same instant.
		expect(upgraded.statusCode).toBe(200)
	})

	it('a burst limit and an hourly limit on one memory store still limit at all', async () => {
		const store = memoryRateLimitStore()
		// Half a second into the hour: the 1 s window and the hourly one start at different
		// instants, and the store keeps one counter per tenant, reset whenever the start differs.
		const now = () => hour + 1_500
		const { invoke, calls } = pipeline([
			tenantRateLimit({ limits: { requests: 2, windowSec: 1 }, store, now }),
			tenantRateLimit({ limits: { requests: 3, windowSec: 3_600 }, store, now }),
		])
		const statuses = []
		for (let i = 0; i < 10; i++) statuses.push((await invoke('acme')).statusCode)
		// Expected: 2 requests (the burst limit), then 429. Observed: all 10 pass.
		expect(calls.handler).toBe(2)
		expect(statuses.slice(2)).toEqual(Array(8).fill(429))
	})
})

describe('review: a plan that fails validation', () => {
	it('a plan of { requests: 0 } (a suspended tenant) does not lift the limit', async () => {
		const logged: string[] = []
		const { invoke, calls } = pipeline(
			tenantRateLimit({
				limits: (tenantId) =>
					tenantId === 'suspended'
						? { requests: 0, windowSec: 60 }
						: { requests: 100, windowSec: 60 },
				store: memoryRateLimitStore(),
				logger: (line) => void logged.push(line),
				now: () => hour,
			}),
		)
		const statuses = []
		for (let i = 0; i < 5; i++) statuses.push((await invoke('suspended')).statusCode)
		// Expected: the handler never runs for it (429, or a 500 naming the broken plan).
		// Observed: the invalid plan is handled like a store outage ("allowing requests until it
		// recovers"): 5 × 200, no limit at all, one log line for the whole window.
		expect({ handlerRuns: calls.handler, statuses }).toMatchObject({ handlerRuns: 0 })
		expect(statuses).toEqual(Array(5).fill(429))
		// A zero plan is a valid plan, not a store outage: nothing to log.
		expect(logged).toHaveLength(0)
	})
})
