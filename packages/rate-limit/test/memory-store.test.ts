import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore } from '../src/index.js'

const minute = 60_000
const hour = 3_600_000
const window = (start: number, length = minute) => ({
	windowStart: start,
	windowEnd: start + length,
})

describe('memoryRateLimitStore', () => {
	it('counts up to the limit in a window, then refuses without counting', () => {
		const store = memoryRateLimitStore()
		const results = Array.from({ length: 4 }, () =>
			store.consume({ tenantId: 'acme', ...window(0), limit: 2 }),
		)
		expect(results).toEqual([
			{ allowed: true, count: 1 },
			{ allowed: true, count: 2 },
			{ allowed: false, count: 2 },
			{ allowed: false, count: 2 },
		])
		expect(store.consume({ tenantId: 'acme', ...window(minute), limit: 2 })).toEqual({
			allowed: true,
			count: 1,
		})
	})

	it('counts windows of different lengths apart, even when they start at the same instant', () => {
		const store = memoryRateLimitStore()
		store.consume({ tenantId: 'acme', ...window(0, minute), limit: 5 })
		expect(store.consume({ tenantId: 'acme', ...window(0, hour), limit: 5 })).toEqual({
			allowed: true,
			count: 1,
		})
		expect(store.consume({ tenantId: 'acme', ...window(0, minute), limit: 5 })).toEqual({
			allowed: true,
			count: 2,
		})
	})

	it('refuses everything under a limit of zero', () => {
		const store = memoryRateLimitStore()
		expect(store.consume({ tenantId: 'acme', ...window(0), limit: 0 })).toEqual({
			allowed: false,
			count: 0,
		})
	})

	it('beyond maxEntries drops counters of ended windows before running ones', () => {
		const store = memoryRateLimitStore({ maxEntries: 2 })
		store.consume({ tenantId: 'busy', ...window(0), limit: 10 })
		store.consume({ tenantId: 'idle', ...window(0), limit: 10 })
		store.consume({ tenantId: 'busy', ...window(minute), limit: 10 })
		store.consume({ tenantId: 'new', ...window(minute), limit: 10 })
		expect(store.consume({ tenantId: 'busy', ...window(minute), limit: 10 })).toEqual({
			allowed: true,
			count: 2,
		})
		expect(store.consume({ tenantId: 'new', ...window(minute), limit: 10 })).toEqual({
			allowed: true,
			count: 2,
		})
	})

	it('beyond maxEntries within one window drops the counter whose window began earliest', () => {
		const store = memoryRateLimitStore({ maxEntries: 3 })
		for (const tenantId of ['a', 'b', 'c', 'd'])
			store.consume({ tenantId, ...window(0), limit: 10 })
		const counts = ['b', 'c', 'd', 'a'].map((tenantId) =>
			store.consume({ tenantId, ...window(0), limit: 10 }),
		)
		expect(counts).toEqual([
			{ allowed: true, count: 2 },
			{ allowed: true, count: 2 },
			{ allowed: true, count: 2 },
			{ allowed: true, count: 1 },
		])
	})

	it.each([0, -1, 1.5, Number.NaN, '10'])('refuses maxEntries %j at construction', (maxEntries) => {
		expect(() => memoryRateLimitStore({ maxEntries: maxEntries as number })).toThrow(/maxEntries/)
	})
})
