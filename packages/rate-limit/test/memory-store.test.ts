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

	it('counts three named limits of one window length apart', () => {
		// The first name is the tenant's head counter; the others share a chain, matched by name
		// as well as length, or two plans' limits would spend one count.
		const store = memoryRateLimitStore()
		const consume = (name: string) =>
			store.consume({ tenantId: 'acme', ...window(0), limit: 5, name })
		consume('reads')
		consume('writes')
		consume('writes')
		expect(consume('exports')).toEqual({ allowed: true, count: 1 })
		expect(consume('writes')).toEqual({ allowed: true, count: 3 })
		expect(consume('reads')).toEqual({ allowed: true, count: 2 })
	})

	it('keeps a running count when counters of other lengths come and go', () => {
		const store = memoryRateLimitStore()
		const consume = (start: number, length: number) =>
			store.consume({ tenantId: 'acme', ...window(start, length), limit: 5 })
		consume(0, 10_000)
		consume(0, minute)
		consume(0, hour)
		// Two minutes in, the first minute window has ended and its counter goes, while the hour
		// that started at 0 keeps counting.
		consume(2 * minute, 1_000)
		expect(consume(0, hour)).toEqual({ allowed: true, count: 2 })
		expect(consume(2 * minute, minute)).toEqual({ allowed: true, count: 1 })
		expect(consume(2 * minute, 1_000)).toEqual({ allowed: true, count: 2 })
		expect(consume(2 * minute, 10_000)).toEqual({ allowed: true, count: 1 })
	})

	it('refuses everything under a limit of zero', () => {
		const store = memoryRateLimitStore()
		expect(store.consume({ tenantId: 'acme', ...window(0), limit: 0 })).toEqual({
			allowed: false,
			count: 0,
		})
	})

	it('beyond maxEntries drops a tenant not seen lately, never the one that keeps asking', () => {
		const store = memoryRateLimitStore({ maxEntries: 2 })
		const consume = (tenantId: string) => store.consume({ tenantId, ...window(0), limit: 3 })
		consume('busy')
		consume('busy')
		consume('idle')
		consume('busy')
		consume('other')
		expect(consume('busy')).toEqual({ allowed: false, count: 3 })
		expect(consume('other')).toEqual({ allowed: true, count: 2 })
		expect(consume('idle')).toEqual({ allowed: true, count: 1 })
	})

	it('keeps counting a steady tenant through a flood of one-off tenants', () => {
		const store = memoryRateLimitStore({ maxEntries: 10 })
		const results = []
		for (let i = 0; i < 100; i++) {
			results.push(store.consume({ tenantId: 'steady', ...window(0), limit: 1_000 }))
			store.consume({ tenantId: `one-off-${i}`, ...window(0), limit: 1_000 })
		}
		expect(results.at(-1)).toEqual({ allowed: true, count: 100 })
	})

	it('grants no fresh quota when the clock steps back into an earlier window', () => {
		const store = memoryRateLimitStore()
		store.consume({ tenantId: 'acme', ...window(minute), limit: 1 })
		expect(store.consume({ tenantId: 'acme', ...window(0), limit: 1 })).toEqual({
			allowed: false,
			count: 1,
		})
	})

	it.each([0, -1, 1.5, Number.NaN, '10'])('refuses maxEntries %j at construction', (maxEntries) => {
		expect(() => memoryRateLimitStore({ maxEntries: maxEntries as number })).toThrow(/maxEntries/)
	})

	// A dotted path, as every other option error names one.
	it.each<[unknown, string]>([
		[{ maxEntries: 0 }, 'memoryRateLimitStore.maxEntries'],
		[{ maxEntrys: 10 }, 'memoryRateLimitStore.maxEntrys'],
		[null, 'memoryRateLimitStore'],
	])('names a bad option %j as %s', (options, option) => {
		expect(() => memoryRateLimitStore(options as never)).toThrow(
			expect.objectContaining({
				name: 'TypeError',
				message: expect.stringContaining(`option '${option}'`),
				cause: { package: '@tenantry/rate-limit', option },
			}),
		)
	})
})
