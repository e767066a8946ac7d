import { NotFoundError } from '@tenantry/cache'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLimitResolver } from '../src/limits.js'
import type { RateLimit } from '../src/options.js'

/**
 * A lookup that fails is a failed lookup (README, `limits` and "Why allow by default"): the
 * tenant's last known plan is kept for up to an hour and no lookup starts for a second, also
 * when `limits` fails with a `NotFoundError` of `@tenantry/cache` (say, from a plans table
 * it caches with that package), which the plan cache would otherwise take for an answer.
 */

const plan: RateLimit = { requests: 100, windowSec: 60 }

describe('a plan lookup that fails with a NotFoundError', () => {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 11, 5) })
	})
	afterEach(() => {
		vi.useRealTimers()
	})

	it('keeps the last known plan and waits a second before the next lookup', async () => {
		let calls = 0
		const limits = async (): Promise<RateLimit> => {
			calls++
			if (calls === 1) return { ...plan }
			throw new NotFoundError('plans table: no such row')
		}
		const resolver = createLimitResolver(limits, 100, 2_000, () => Date.now())
		expect(await resolver('acme')).toEqual(plan)
		await vi.advanceTimersByTimeAsync(200)
		// The refresh fails: the plan known 200 ms ago still applies...
		expect(await resolver('acme')).toEqual(plan)
		// ...and for a second no lookup starts.
		await vi.advanceTimersByTimeAsync(100)
		expect(await resolver('acme')).toEqual(plan)
		expect(calls).toBe(2)
	})
})
