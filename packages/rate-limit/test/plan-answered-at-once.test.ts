import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLimitResolver } from '../src/limits.js'
import type { RateLimit } from '../src/options.js'

/**
 * README, `limitsTimeoutMs`: a plan that arrives late is kept unless a newer lookup's plan was,
 * or more than 10,000 tenants had lookups not answered yet. A lookup answered at once (a plan
 * returned synchronously, a throw, or a plan whose `then` cannot even be read) is never one not
 * answered yet: it must not cost a tenant waiting for its late plan its place, nor keep one.
 */

const latePlan: RateLimit = { requests: 5, windowSec: 60 }
const known: RateLimit = { requests: 10, windowSec: 60 }
const flush = async () => {
	for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** A plan read through a strict config proxy, which throws on a key it does not hold (`then`). */
const strict = (plan: RateLimit): RateLimit =>
	new Proxy(plan, {
		get: (target, key) => {
			if (!(key in target)) throw new TypeError(`no such setting: ${String(key)}`)
			return target[key as keyof RateLimit]
		},
	})

describe('lookups answered at once, with 10,000 tenants waited for', () => {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 11, 5) })
	})
	afterEach(() => {
		vi.useRealTimers()
	})

	it('a plan returned synchronously does not drop the late plan of a tenant waited for', async () => {
		const late = new Map<string, (plan: RateLimit) => void>()
		// Plans of known tenants from memory, the others from a table that has stopped answering.
		const limits = (tenant: string): RateLimit | Promise<RateLimit> =>
			tenant.startsWith('known')
				? { ...known }
				: new Promise<RateLimit>((resolve) => late.set(tenant, resolve))
		const resolver = createLimitResolver(limits, 60_000, 300, () => Date.now())
		for (let i = 0; i < 10_000; i++) Promise.resolve(resolver(`t${i}`)).catch(() => undefined)
		// All 10,000 lookups time out: those tenants wait for their late plans.
		await vi.advanceTimersByTimeAsync(300)
		expect(await resolver('known-1')).toEqual(known)
		// t0's plan arrives late: never were more than 10,000 tenants waited for, so it is kept.
		late.get('t0')?.({ ...latePlan })
		await flush()
		expect(await resolver('t0')).toEqual(latePlan)
	})

	it('a plan whose then cannot be read is a failed lookup that keeps no tenant waited for', async () => {
		const acme: Array<(plan: RateLimit) => void> = []
		const limits = (tenant: string): RateLimit | Promise<RateLimit> =>
			tenant === 'acme'
				? new Promise<RateLimit>((resolve) => acme.push(resolve))
				: strict({ ...known })
		const resolver = createLimitResolver(limits, 60_000, 300, () => Date.now())
		for (let i = 0; i < 10_000; i++) {
			// Each fails at once, as a lookup that throws does.
			await expect(Promise.resolve(resolver(`t${i}`))).rejects.toThrow('no such setting')
		}
		// No tenant is waited for now: acme's lookup times out, and its late plan is kept.
		const first = Promise.resolve(resolver('acme'))
		first.catch(() => undefined)
		await vi.advanceTimersByTimeAsync(300)
		await expect(first).rejects.toThrow()
		acme[0]?.({ ...latePlan })
		await flush()
		expect(await resolver('acme')).toEqual(latePlan)
	})
})
