import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { tenantRateLimit } from '../src/index.js'
import { countStatuses, type HttpResult, pipeline, tablePerTest } from './setup.js'

/**
 * What an operator relies on across containers, against dynalite with the real SDK: clocks that
 * differ by seconds, writes whose answer is lost, plans that change mid-window, stacked limits,
 * and the item each window leaves in the table.
 */

const local = tablePerTest('distributed')

/** The top of an hour: a start of every window of 1 s, 60 s and 3,600 s. */
const hour = Date.UTC(2026, 10, 23, 10, 0, 0)

const itemOf = async (pk: string) => {
	const { Item } = await local.client.send(
		new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: pk }, sk: { S: 'RATE' } } }),
	)
	return Item
}

const updates = () =>
	local.dynamodb.requests.filter((request) => request.operation === 'UpdateItem').length

const times = async (count: number, invoke: () => Promise<HttpResult>) => {
	const results: HttpResult[] = []
	for (let i = 0; i < count; i++) results.push(await invoke())
	return results
}

describe('containers whose clocks differ', () => {
	it('count each window exactly, the one ahead early into the next window, the one behind late into the last', async () => {
		// Real time is `real`; one container's clock runs 3 s ahead, the other's 3 s behind.
		let real = hour - 2_000
		const container = (skewMs: number) =>
			pipeline(
				tenantRateLimit({
					limits: { requests: 4, windowSec: 60 },
					store: local.store(),
					now: () => real + skewMs,
				}),
			)
		const ahead = container(3_000)
		const behind = container(-3_000)
		// 2 s before the hour: ahead is already in the new window, behind still in the old one.
		expect(countStatuses(await times(6, () => ahead.invoke('acme')))).toEqual({ 200: 4, 429: 2 })
		expect(countStatuses(await times(6, () => behind.invoke('acme')))).toEqual({ 200: 4, 429: 2 })
		// 1 s after the hour: behind still counts into the old window (exhausted), and the new one
		// was used up early by ahead: nothing more for either.
		real = hour + 1_000
		const late = await behind.invoke('acme')
		expect(late.statusCode).toBe(429)
		// Behind's own clock reads 2 s before the hour: it asks for a retry then, never 0 s.
		expect(late.headers['Retry-After']).toBe('2')
		expect((await ahead.invoke('acme')).statusCode).toBe(429)
		// Once behind's clock reaches the hour too, it counts into the same (exhausted) window.
		real = hour + 3_000
		expect((await behind.invoke('acme')).statusCode).toBe(429)
		expect((await itemOf(`TENANT#acme#RATE#${hour / 1000 - 60}+60s`))?.count).toEqual({ N: '4' })
		expect((await itemOf(`TENANT#acme#RATE#${hour / 1000}+60s`))?.count).toEqual({ N: '4' })
	})
})

describe('the item a window leaves in the table', () => {
	it('expires in epoch seconds, one window after the window ends', async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 5, windowSec: 60 },
				store: local.store(),
				now: () => hour + 59_999,
			}),
		)
		await invoke('acme')
		const item = await itemOf(`TENANT#acme#RATE#${hour / 1000}+60s`)
		// Milliseconds here would keep the item for about 50,000 years.
		expect(item?.expiresAt).toEqual({ N: String(hour / 1000 + 120) })
	})

	it('for a window that does not divide a minute (7 s), is aligned to the epoch and never resets in 0 s', async () => {
		// 10:00:00 UTC is 1,795,428,000 s since the epoch, 2 s past a multiple of 7 s.
		const windowStart = hour - 2_000
		let now = hour + 4_999
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 1, windowSec: 7 },
				store: local.store(),
				now: () => now,
			}),
		)
		const allowed = await invoke('acme')
		expect(allowed.headers['RateLimit-Reset']).toBe('1')
		now = hour + 4_999.5
		const limited = await invoke('acme')
		expect([limited.statusCode, limited.headers['Retry-After']]).toEqual([429, '1'])
		const item = await itemOf(`TENANT#acme#RATE#${windowStart / 1000}+7s`)
		expect(item?.expiresAt).toEqual({ N: String(windowStart / 1000 + 14) })
		now = hour + 5_000
		expect((await invoke('acme')).headers['RateLimit-Reset']).toBe('7')
	})
})

/**
 * A client with the SDK's defaults (three attempts) whose first `count` answers are lost below
 * its retry: DynamoDB applied the write, then the connection dropped (or a 500 came back, as
 * DynamoDB documents for InternalServerError).
 */
const losingAnswers = (count: number): DynamoDBClient => {
	const client = local.dynamodb.client()
	let answersToLose = count
	client.middlewareStack.add(
		(next) => async (args) => {
			const output = await next(args)
			if (answersToLose-- > 0)
				throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
			return output
		},
		{ step: 'deserialize', name: 'loseAnswerAfterWrite' },
	)
	return client
}

describe('a write DynamoDB applied whose answer was lost', () => {
	// UpdateItem has no idempotency token: the SDK's retry of an applied `ADD` counts the request
	// again. Documented in the README (never more than `requests`, sometimes fewer); kept here as
	// a known limitation: it fails, as it should, until the store can tell its own retry apart.
	it.fails('still lets exactly `requests` through once the SDK retries it', async () => {
		const retrying = losingAnswers(1)
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 2, windowSec: 60 },
				store: local.store({ client: retrying }),
				now: () => hour,
			}),
		)
		const results = await times(2, () => invoke('acme'))
		expect(countStatuses(results)).toEqual({ 200: 2 })
	})

	it('never lets more than `requests` through when it happens', async () => {
		const retrying = losingAnswers(3)
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 5, windowSec: 60 },
				store: local.store({ client: retrying }),
				now: () => hour,
				logger: () => undefined,
			}),
		)
		const results = await times(8, () => invoke('acme'))
		// The first request's three attempts were all applied and all lost: a store error
		// ('allow'), counted three times; the next two use up the window.
		expect(countStatuses(results)).toEqual({ 200: 3, 429: 5 })
		expect((await itemOf(`TENANT#acme#RATE#${hour / 1000}+60s`))?.count).toEqual({ N: '5' })
	})
})

describe('plans that change mid-window', () => {
	it('an upgrade lets a container that saw the window exhausted count again once its plan is refreshed', async () => {
		const { invoke, state } = local.changingPlan({ requests: 2, windowSec: 60 }, hour)
		expect(countStatuses(await times(3, () => invoke('acme')))).toEqual({ 200: 2, 429: 1 })
		state.plan = { requests: 4, windowSec: 60 }
		state.now = hour + 1_000
		const upgraded = await times(3, () => invoke('acme'))
		expect(countStatuses(upgraded)).toEqual({ 200: 2, 429: 1 })
		expect(upgraded.map((result) => result.headers['RateLimit-Remaining'])).toEqual(['1', '0', '0'])
	})

	it('a downgrade below the count refuses the rest of the window, reporting 0 left', async () => {
		const { invoke, state } = local.changingPlan({ requests: 5, windowSec: 60 }, hour)
		await times(4, () => invoke('acme'))
		state.plan = { requests: 2, windowSec: 60 }
		state.now = hour + 1_000
		const limited = await invoke('acme')
		expect([limited.statusCode, limited.headers['RateLimit-Remaining']]).toEqual([429, '0'])
		expect(limited.headers['RateLimit-Limit']).toBe('2')
	})
})

describe('stacked limits on one table', () => {
	it('a request refused by the later limit is counted by the earlier one: a flood costs its writes', async () => {
		let now = hour
		const store = local.store()
		const { invoke, calls } = pipeline([
			tenantRateLimit({
				name: 'burst',
				limits: { requests: 3, windowSec: 1 },
				store,
				now: () => now,
			}),
			tenantRateLimit({
				name: 'hourly',
				limits: { requests: 3, windowSec: 3_600 },
				store,
				now: () => now,
			}),
		])
		expect(countStatuses(await times(3, () => invoke('acme')))).toEqual({ 200: 3 })
		local.dynamodb.clearRequests()
		// The hourly limit is used up; a flood of 10 requests a second for 10 seconds.
		const flood: HttpResult[] = []
		for (let second = 1; second <= 10; second++) {
			now = hour + second * 1_000
			flood.push(...(await times(10, () => invoke('acme'))))
		}
		expect(countStatuses(flood)).toEqual({ 429: 100 })
		expect(calls.handler).toBe(3)
		// Each second, the burst limit's 3 counted writes (the last one marks it exhausted), then
		// memory: not the one write per container per window a single limit costs.
		expect(updates()).toBe(10 * 3)
	})
})
