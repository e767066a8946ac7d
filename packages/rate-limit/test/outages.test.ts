import { describe, expect, it, vi } from 'vitest'
import { memoryRateLimitStore, type RateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

const start = Date.UTC(2026, 10, 23, 10, 0, 0)

describe('when the store or the plans fail', () => {
	it('logs once per window of each length, even when plans of two lengths take turns', async () => {
		const logger = vi.fn()
		const failing: RateLimitStore = {
			consume: () => {
				throw new Error('store down')
			},
		}
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: (tenantId) =>
					tenantId === 'gold'
						? { requests: 100, windowSec: 60 }
						: { requests: 10, windowSec: 3600 },
				store: failing,
				logger,
				// 10:05, where the minute and the hour windows start at different instants.
				now: () => start + 5 * 60_000,
			}),
		)
		for (let i = 0; i < 10; i++) await invoke(i % 2 === 0 ? 'gold' : 'free')
		expect(logger).toHaveBeenCalledTimes(2)
	})

	it('lets the request through when the logger itself throws', async () => {
		const { invoke, calls } = pipeline(
			tenantRateLimit({
				store: {
					consume: () => {
						throw new Error('store down')
					},
				},
				logger: () => {
					throw new TypeError("Cannot read properties of undefined (reading 'warn')")
				},
				now: () => start,
			}),
		)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect(calls.handler).toBe(1)
	})

	it('keeps limiting with the last known plan while plan lookups fail', async () => {
		let now = start
		let plansUp = true
		const { invoke, calls } = pipeline(
			tenantRateLimit({
				limits: async () => {
					if (!plansUp) throw new Error('plans table throttled')
					return { requests: 2, windowSec: 3600 }
				},
				store: memoryRateLimitStore(),
				logger: () => undefined,
				now: () => now,
			}),
		)
		await invoke('acme')
		await invoke('acme')
		expect((await invoke('acme')).statusCode).toBe(429)
		now += 60_001 // the cached plan has expired, and the plans table blips
		plansUp = false
		const statuses = []
		for (let i = 0; i < 20; i++) statuses.push((await invoke('acme')).statusCode)
		expect(statuses.filter((status) => status === 429)).toHaveLength(20)
		expect(calls.handler).toBe(2)
	})
})

describe('a custom store', () => {
	it('may answer with any thenable, not only a native promise', async () => {
		const memory = memoryRateLimitStore()
		const store: RateLimitStore = {
			consume: (request) => {
				const result = memory.consume(request)
				const thenable: PromiseLike<never> = {
					// biome-ignore lint/suspicious/noThenProperty: a thenable on purpose
					then: (resolve?: ((value: never) => unknown) | null) =>
						resolve?.(result as never) as never,
				}
				return thenable
			},
		}
		const { invoke, calls } = pipeline(
			tenantRateLimit({ limits: { requests: 1, windowSec: 60 }, store, now: () => start }),
		)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(429)
		expect(calls.handler).toBe(1)
	})
})
