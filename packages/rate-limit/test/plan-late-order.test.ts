import { describe, expect, it } from 'vitest'
import {
	memoryRateLimitStore,
	type RateLimit,
	type RateLimitStore,
	tenantRateLimit,
} from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * A plan that arrives after `limitsTimeoutMs` is kept only while no newer lookup's plan is: the
 * table's older answer must never replace (or outlive) what a later lookup of the same tenant
 * found, such as a tenant suspended in between (`requests: 0`).
 */

const start = Date.UTC(2026, 11, 5, 10, 0, 0)
const timeoutMs = 50
const oldPlan: RateLimit = { requests: 100, windowSec: 60 }
const suspended: RateLimit = { requests: 0, windowSec: 60 }
/** Lets the promise callbacks that follow an answer run. */
const settled = () => new Promise((resolve) => setImmediate(resolve))

interface Deferred {
	resolve: (plan: RateLimit) => void
}

/**
 * `acme`'s lookups wait for the test to answer them, one by one; once `answerAtOnce` is set, new
 * lookups answer with it at once. Other tenants answer at once with the old plan.
 */
const limiter = (options: { limitsCacheTtlMs?: number; store?: RateLimitStore } = {}) => {
	const clock = { now: start }
	const pending: Deferred[] = []
	const state: { answerAtOnce: RateLimit | undefined } = { answerAtOnce: undefined }
	const limits = (tenantId: string): RateLimit | Promise<RateLimit> => {
		if (tenantId !== 'acme') return oldPlan
		if (state.answerAtOnce) return Promise.resolve({ ...state.answerAtOnce })
		return new Promise<RateLimit>((resolve) => pending.push({ resolve }))
	}
	const { invoke, calls } = pipeline(
		tenantRateLimit({
			limits,
			limitsTimeoutMs: timeoutMs,
			store: options.store ?? memoryRateLimitStore({ maxEntries: 20_000 }),
			onStoreError: 'allow',
			logger: () => undefined,
			now: () => clock.now,
			...(options.limitsCacheTtlMs ? { limitsCacheTtlMs: options.limitsCacheTtlMs } : {}),
		}),
	)
	return { invoke, calls, clock, pending, state }
}

describe('a late plan and a newer lookup of the same tenant', () => {
	it('does not replace the plan of a newer lookup that was in flight when it arrived', async () => {
		const { invoke, clock, pending } = limiter()
		// Lookup 1 times out: the request goes through (onStoreError 'allow').
		expect((await invoke('acme')).statusCode).toBe(200)
		// Past the failure backoff, lookup 2 starts; lookup 1's old answer arrives while it runs.
		clock.now += 1_500
		const second = invoke('acme')
		await settled()
		expect(pending).toHaveLength(2)
		pending[0]?.resolve({ ...oldPlan })
		await settled()
		// Lookup 2 answers in time: the tenant has been suspended meanwhile.
		pending[1]?.resolve({ ...suspended })
		expect((await second).statusCode).toBe(429)
		// The newer lookup's plan holds: lookup 1's older answer must not be what is cached.
		clock.now += 1
		expect((await invoke('acme')).statusCode).toBe(429)
		expect((await invoke('acme')).statusCode).toBe(429)
	})

	/**
	 * Lookup 1 times out (the request goes through); past the backoff, lookup 2 answers in time
	 * that the tenant is suspended, as the table says from then on. Lookup 1 has not answered.
	 */
	const suspendedByLookup2 = async () => {
		const run = limiter()
		expect((await run.invoke('acme')).statusCode).toBe(200)
		run.clock.now += 1_500
		const second = run.invoke('acme')
		await settled()
		run.pending[1]?.resolve({ ...suspended })
		expect((await second).statusCode).toBe(429)
		run.state.answerAtOnce = suspended
		return run
	}

	it("does not replace a newer lookup's plan once that plan's cache time is over", async () => {
		const { invoke, clock, pending } = await suspendedByLookup2()
		// The newer plan's limitsCacheTtlMs runs out...
		clock.now += 61_000
		// ...and only then does lookup 1's old answer arrive: it is not a newer answer than the
		// suspension, and must not be cached as the tenant's fresh plan for another minute.
		pending[0]?.resolve({ ...oldPlan })
		await settled()
		expect((await invoke('acme')).statusCode).toBe(429)
	})

	it('does not bring back an older plan after the tenant was evicted from the plan cache', async () => {
		const { invoke, pending } = await suspendedByLookup2()
		// 10,000 other tenants (the plan cache's maxEntries) push acme's plan out.
		for (let i = 0; i < 10_000; i++) await invoke(`t${i}`)
		pending[0]?.resolve({ ...oldPlan })
		await settled()
		expect((await invoke('acme')).statusCode).toBe(429)
	})
})

describe('a late plan equal to the cached one, mid-window', () => {
	it('keeps the window exhausted: a throttled store is not written again, nothing gets through', async () => {
		// A store that DynamoDB starts throttling once the window is exhausted (the README: "Once a
		// container has seen the window exhausted it stops writing").
		const memory = memoryRateLimitStore()
		const throttled = { on: false, writes: 0 }
		const store: RateLimitStore = {
			consume: (input) => {
				throttled.writes++
				if (throttled.on) throw new Error('ProvisionedThroughputExceededException')
				return memory.consume(input)
			},
		}
		const { invoke, calls, clock, pending } = limiter({ limitsCacheTtlMs: 1_000, store })
		const plan: RateLimit = { requests: 1, windowSec: 3_600 }
		const first = invoke('acme')
		await settled()
		pending[0]?.resolve({ ...plan })
		expect((await first).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(429)
		throttled.on = true
		// The plan's cache time runs out; its refresh does not answer within limitsTimeoutMs, so the
		// last known plan answers (still exhausted)...
		clock.now += 1_500
		expect((await invoke('acme')).statusCode).toBe(429)
		// ...and the refresh then answers late, with the same plan.
		pending[1]?.resolve({ ...plan })
		await settled()
		clock.now += 1
		const results = [await invoke('acme'), await invoke('acme'), await invoke('acme')]
		expect(results.map((r) => r.statusCode)).toEqual([429, 429, 429])
		expect(calls.handler).toBe(1)
		expect(throttled.writes).toBe(1)
	})
})

describe('a plans table slower than limitsTimeoutMs and the failure backoff together', () => {
	it('still keeps each late plan while the next lookup runs, and the newer one after it', async () => {
		const { invoke, clock, pending } = limiter()
		expect((await invoke('acme')).statusCode).toBe(200)
		clock.now += 1_500
		// Lookup 2 starts before lookup 1 answers; then lookup 1 answers (suspended)...
		const second = invoke('acme')
		await settled()
		pending[0]?.resolve({ ...suspended })
		await settled()
		// ...and lookup 2 times out too: its callers get lookup 1's plan.
		expect((await second).statusCode).toBe(429)
		clock.now += 1
		expect((await invoke('acme')).statusCode).toBe(429)
		// Lookup 2's late answer (reinstated) is newer, and replaces it.
		pending[1]?.resolve({ ...oldPlan })
		await settled()
		expect((await invoke('acme')).statusCode).toBe(200)
		expect(pending).toHaveLength(2)
	})
})
