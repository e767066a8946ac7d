import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, type RateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline, tablePerTest } from './setup.js'

const local = tablePerTest('named-limits')

const start = Date.UTC(2026, 10, 23, 10, 0, 0)
const counterOf = async (pk: string) => {
	const { Item } = await local.client.send(
		new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: pk }, sk: { S: 'RATE' } } }),
	)
	return Item?.count?.N
}

/** A plan limit and a safety cap, both per minute, counting on one store under their names. */
const stackedOn = (store: RateLimitStore) =>
	pipeline(
		(['plan', 'cap'] as const).map((name) =>
			tenantRateLimit({
				name,
				limits: { requests: name === 'plan' ? 5 : 100, windowSec: 60 },
				store,
				now: () => start,
			}),
		),
	)

describe('limits of one window length on one store, told apart by name', () => {
	it('stacked (a plan limit and a safety cap, both per minute) each count on their own', async () => {
		const store = local.store()
		const { invoke, calls } = stackedOn(store)
		const results = []
		for (let i = 0; i < 6; i++) results.push(await invoke('acme'))
		expect(results.map((result) => result.statusCode)).toEqual([200, 200, 200, 200, 200, 429])
		expect(calls.handler).toBe(5)
		expect(results.slice(0, 5).map((result) => result.headers['RateLimit-Remaining'])).toEqual([
			'4',
			'3',
			'2',
			'1',
			'0',
		])
		const window = `${start / 1000}+60s`
		expect(await counterOf(`TENANT#acme#RATE:plan#${window}`)).toBe('5')
		expect(await counterOf(`TENANT#acme#RATE:cap#${window}`)).toBe('5')
	})

	it('stacked on one memory store, the same', async () => {
		const store = memoryRateLimitStore()
		const { calls, invoke } = stackedOn(store)
		for (let i = 0; i < 6; i++) await invoke('acme')
		expect(calls.handler).toBe(5)
	})

	it("two functions on one table with per-route limits: one route's traffic does not use up the other's", async () => {
		// `/exports` allows 2 a minute, `/items` 100 a minute; both count in the same table.
		const route = (name: string, requests: number) =>
			pipeline(
				tenantRateLimit({
					name,
					limits: { requests, windowSec: 60 },
					store: local.store(),
					now: () => start,
				}),
			)
		const exportsRoute = route('exports', 2)
		const itemsRoute = route('items', 100)
		for (let i = 0; i < 3; i++) expect((await itemsRoute.invoke('acme')).statusCode).toBe(200)
		expect(await counterOf(`TENANT#acme#RATE:items#${start / 1000}+60s`)).toBe('3')
		expect((await exportsRoute.invoke('acme')).statusCode).toBe(200)
		// Containers of one function share the name, so they share its counter.
		const anotherExportsContainer = route('exports', 2)
		expect((await anotherExportsContainer.invoke('acme')).statusCode).toBe(200)
		expect((await exportsRoute.invoke('acme')).statusCode).toBe(429)
	})

	it('refuses a name that cannot be a key part, when the middleware is built', () => {
		const store = memoryRateLimitStore()
		for (const name of ['', 'a#b', 'a b', 'x'.repeat(65), 42])
			expect(() => tenantRateLimit({ name: name as string, store })).toThrow(
				expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('name') }),
			)
		expect(() => tenantRateLimit({ name: 'burst-1.v2_x', store })).not.toThrow()
	})
})
