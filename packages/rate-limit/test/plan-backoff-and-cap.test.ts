import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLimitResolver } from '../src/limits.js'
import type { RateLimit } from '../src/options.js'

/**
 * The rule of `limitsTimeoutMs`: a lookup that does not settle in time has failed, and no new
 * lookup of that tenant starts for a second after a failure; a plan that arrives late is kept
 * unless a newer lookup's plan was stored. Lookups answer when the test says (controlled
 * promises), timers and the clock are fake.
 */

const oldPlan: RateLimit = { requests: 100, windowSec: 60 }
const suspended: RateLimit = { requests: 0, windowSec: 60 }
const flush = async () => {
	for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
}

const setup = (ttlMs: number, timeoutMs: number) => {
	const started: Array<{ tenant: string; resolve: (plan: RateLimit) => void }> = []
	const limits = (tenant: string) =>
		new Promise<RateLimit>((resolve) => started.push({ tenant, resolve }))
	const resolver = createLimitResolver(limits, ttlMs, timeoutMs, () => Date.now())
	const of = (tenant: string) => started.filter((lookup) => lookup.tenant === tenant)
	return { resolver, of }
}

describe('the failure backoff and the late plan', () => {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 11, 5) })
	})
	afterEach(() => {
		vi.useRealTimers()
	})

	it('a late plan stored during the backoff does not start a new lookup within the second', async () => {
		const { resolver, of } = setup(100, 300)
		const first = Promise.resolve(resolver('acme'))
		first.catch(() => undefined)
		// Lookup 1 fails at +300 ms (timeout): no lookup until +1,300 ms.
		await vi.advanceTimersByTimeAsync(300)
		await expect(first).rejects.toThrow()
		// Its plan arrives late at +400 ms and is kept (limitsCacheTtlMs 100 ms)...
		await vi.advanceTimersByTimeAsync(100)
		of('acme')[0]?.resolve({ ...oldPlan })
		await flush()
		expect(resolver('acme')).toEqual(oldPlan)
		// ...and at +550 ms, its cache time over, still within the second after the failure.
		await vi.advanceTimersByTimeAsync(150)
		const served = resolver('acme')
		expect(of('acme')).toHaveLength(1)
		expect(await served).toEqual(oldPlan)
	})

	it('a lookup that fails after a late plan detached it still starts the backoff', async () => {
		const { resolver, of } = setup(100, 300)
		const first = Promise.resolve(resolver('acme'))
		first.catch(() => undefined)
		await vi.advanceTimersByTimeAsync(300)
		// Past the backoff lookup 2 starts; lookup 1's plan arrives while it runs (+1,550 ms).
		await vi.advanceTimersByTimeAsync(1_200)
		const second = Promise.resolve(resolver('acme'))
		await vi.advanceTimersByTimeAsync(50)
		of('acme')[0]?.resolve({ ...oldPlan })
		await flush()
		// Lookup 2 fails at +1,800 ms (timeout): its callers get the known plan...
		await vi.advanceTimersByTimeAsync(250)
		expect(await second).toEqual(oldPlan)
		// ...and no lookup starts within the second after that failure (+1,900 ms).
		await vi.advanceTimersByTimeAsync(100)
		const served = resolver('acme')
		expect(of('acme')).toHaveLength(2)
		expect(await served).toEqual(oldPlan)
	})
})

describe('10,000 tenants waited for at once', () => {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 11, 5) })
	})
	afterEach(() => {
		vi.useRealTimers()
	})

	it("does not lose a newer lookup's in-time plan to an older late one when its tenant is no longer followed", async () => {
		const { resolver, of } = setup(60_000, 50)
		const first = Promise.resolve(resolver('acme'))
		first.catch(() => undefined)
		await vi.advanceTimersByTimeAsync(50)
		// Past the backoff lookup 2 starts; lookup 1's late (old) plan arrives while it runs.
		await vi.advanceTimersByTimeAsync(1_500)
		const second = Promise.resolve(resolver('acme'))
		of('acme')[0]?.resolve({ ...oldPlan })
		await flush()
		// 10,000 other tenants' lookups start meanwhile (a flood of new tenants, a slow table).
		for (let i = 0; i < 10_000; i++) Promise.resolve(resolver(`t${i}`)).catch(() => undefined)
		// Lookup 2 answers in time: the tenant was suspended in between.
		of('acme')[1]?.resolve({ ...suspended })
		expect(await second).toEqual(suspended)
		await flush()
		// The newer lookup's plan applies, not lookup 1's.
		expect(await resolver('acme')).toEqual(suspended)
		expect(of('acme')).toHaveLength(2)
	})

	it("never lets a late plan replace a newer lookup's when the tenant's lookup started with every place taken", async () => {
		// 10,000 tenants still running, the lookup is not followed: its answer cannot be ordered
		// against the tenant's newer lookups, so it is not stored when it arrives late.
		const { resolver, of } = setup(60_000, 300)
		for (let i = 0; i < 10_000; i++) Promise.resolve(resolver(`t${i}`)).catch(() => undefined)
		Promise.resolve(resolver('acme')).catch(() => undefined)
		// Every lookup times out at +300 ms; past acme's backoff, lookup 2 starts and answers.
		await vi.advanceTimersByTimeAsync(1_500)
		const second = Promise.resolve(resolver('acme'))
		of('acme')[1]?.resolve({ ...suspended })
		expect(await second).toEqual(suspended)
		// Lookup 1's plan arrives late.
		of('acme')[0]?.resolve({ ...oldPlan })
		await flush()
		expect(resolver('acme')).toEqual(suspended)
	})

	it('keeps the late plan of a tenant looked up after 10,000 lookups timed out', async () => {
		// Timed-out lookups whose answers never come make way for a new tenant's: followed, its
		// plan is stored when it arrives late, rather than every request looking it up again.
		const { resolver, of } = setup(60_000, 50)
		for (let i = 0; i < 10_000; i++) Promise.resolve(resolver(`t${i}`)).catch(() => undefined)
		await vi.advanceTimersByTimeAsync(50)
		const first = Promise.resolve(resolver('acme'))
		first.catch(() => undefined)
		await vi.advanceTimersByTimeAsync(50)
		await expect(first).rejects.toThrow()
		of('acme')[0]?.resolve({ ...oldPlan })
		await flush()
		expect(resolver('acme')).toEqual(oldPlan)
		expect(of('acme')).toHaveLength(1)
	})
})
