import { describe, expect, it, vi } from 'vitest'
import { createTtlCache, NotFoundError, type TtlCacheOptions } from '../src/index.js'
import { deferred } from './deferred.js'

const fakeClock = (start = 1_000_000) => {
	let current = start
	return {
		now: () => current,
		advance: (ms: number) => {
			current += ms
		},
	}
}

const setup = (options: Partial<TtlCacheOptions> = {}) => {
	const clock = fakeClock()
	const cache = createTtlCache<string>({ ttlMs: 1_000, now: clock.now, ...options })
	return { cache, clock }
}

describe('single-flight', () => {
	it('calls the loader once for 100 concurrent cold gets of one key', async () => {
		const { cache } = setup()
		const gate = deferred<string>()
		const load = vi.fn(() => gate.promise)
		const pending = Array.from({ length: 100 }, () => cache.get('tenant-a', load))
		gate.resolve('secret-a')
		expect(await Promise.all(pending)).toEqual(Array(100).fill('secret-a'))
		expect(load).toHaveBeenCalledTimes(1)
		expect(cache.stats()).toMatchObject({ loads: 1, misses: 100, hits: 0 })
	})

	it('shares a failure with every waiter and lets the next get try again', async () => {
		const { cache } = setup()
		const gate = deferred<string>()
		const load = vi.fn(() => gate.promise)
		const pending = Array.from({ length: 10 }, () => cache.get('k', load))
		gate.reject(new Error('down'))
		const outcomes = await Promise.allSettled(pending)
		expect(outcomes.every((o) => o.status === 'rejected')).toBe(true)
		expect(load).toHaveBeenCalledTimes(1)
		await expect(cache.get('k', async () => 'up')).resolves.toBe('up')
		expect(cache.stats()).toMatchObject({ loads: 2, loadErrors: 1 })
	})

	it('keeps keys independent', async () => {
		const { cache } = setup()
		const load = vi.fn(async (key: string) => `value-${key}`)
		await Promise.all(['a', 'b', 'a', 'b', 'c'].map((key) => cache.get(key, load)))
		expect(load).toHaveBeenCalledTimes(3)
	})

	it('registers a loader that throws synchronously and does not wedge the key', async () => {
		const { cache } = setup()
		const throwing = () => {
			throw new Error('sync')
		}
		await expect(cache.get('k', throwing as never)).rejects.toThrow('sync')
		await expect(cache.get('k', async () => 'ok')).resolves.toBe('ok')
	})
})

describe('a load in flight when the caller forgets or replaces the key', () => {
	it('is not joined by a get after delete, and does not bring the old value back', async () => {
		const { cache } = setup()
		const beforeRotation = deferred<string>()
		const first = cache.get('tenant', () => beforeRotation.promise)
		cache.delete('tenant')
		const second = cache.get('tenant', async () => 'rotated')
		beforeRotation.resolve('before-rotation')
		expect(await first).toBe('before-rotation')
		expect(await second).toBe('rotated')
		expect(cache.peek('tenant')).toBe('rotated')
	})

	it('does not overwrite a newer value stored with set', async () => {
		const { cache } = setup()
		const slow = deferred<string>()
		const loading = cache.get('tenant', () => slow.promise)
		cache.set('tenant', 'newer')
		slow.resolve('older')
		expect(await loading).toBe('older')
		expect(cache.peek('tenant')).toBe('newer')
	})

	it('does not fill the cache again after clear, nor record its failure', async () => {
		const { cache } = setup()
		const slow = deferred<string>()
		const failing = deferred<string>()
		const loading = cache.get('a', () => slow.promise)
		const failingLoad = cache.get('b', () => failing.promise)
		cache.clear()
		slow.resolve('from-before-clear')
		failing.reject(new Error('down'))
		await loading
		await expect(failingLoad).rejects.toThrow('down')
		expect(cache.size).toBe(0)
	})

	it('that fails gives its callers the value set meanwhile, as a failed load gives a stale one', async () => {
		const { cache, clock } = setup({ staleIfErrorMs: 60_000 })
		await cache.get('k', async () => 'old')
		clock.advance(1_500)
		const failing = deferred<string>()
		const waiting = cache.get('k', () => failing.promise)
		const strict = cache.get('k', () => failing.promise, { allowStale: false })
		cache.set('k', 'newer')
		failing.reject(new Error('upstream down'))
		expect(await waiting).toBe('newer')
		await expect(strict).rejects.toThrow('upstream down')
		expect(cache.peek('k')).toBe('newer')
	})

	it('leaves a newer load of the key in flight when it settles', async () => {
		const { cache } = setup()
		const old = deferred<string>()
		const current = deferred<string>()
		const load = vi.fn(() => current.promise)
		const first = cache.get('k', () => old.promise)
		cache.delete('k')
		const second = cache.get('k', load)
		old.resolve('old')
		await first
		const third = cache.get('k', load)
		current.resolve('new')
		expect([await second, await third]).toEqual(['new', 'new'])
		expect(load).toHaveBeenCalledTimes(1)
	})
})

describe('TTL', () => {
	it('a value kept forever (ttlMs Infinity) is still loaded again for a caller with maxAgeMs', async () => {
		const { cache } = setup({ ttlMs: Number.POSITIVE_INFINITY })
		const load = vi.fn(async () => `v${load.mock.calls.length}`)
		expect(await cache.get('k', load)).toBe('v1')
		expect(await cache.get('k', load)).toBe('v1')
		// The forced refresh after a rotated secret or an unknown kid must happen whatever the TTL.
		expect(await cache.get('k', load, { maxAgeMs: 0 })).toBe('v2')
		expect(load).toHaveBeenCalledTimes(2)
	})

	it('serves the loaded value without loading until ttlMs has passed', async () => {
		const { cache, clock } = setup({ ttlMs: 1_000 })
		const load = vi.fn(async () => `v${load.mock.calls.length}`)
		expect(await cache.get('k', load)).toBe('v1')
		clock.advance(999)
		expect(await cache.get('k', load)).toBe('v1')
		expect(load).toHaveBeenCalledTimes(1)
		clock.advance(1)
		expect(await cache.get('k', load)).toBe('v2')
		expect(load).toHaveBeenCalledTimes(2)
		expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, loads: 2 })
	})

	it('peek returns only fresh values and never loads', async () => {
		const { cache, clock } = setup({ ttlMs: 100 })
		expect(cache.peek('k')).toBeUndefined()
		await cache.get('k', async () => 'v')
		expect(cache.peek('k')).toBe('v')
		clock.advance(100)
		expect(cache.peek('k')).toBeUndefined()
		expect(cache.stats().hits).toBe(0)
	})

	it('set stores a value with its own lifetime', async () => {
		const { cache, clock } = setup({ ttlMs: 10_000 })
		cache.set('token', 'claims', { ttlMs: 50 })
		expect(cache.peek('token')).toBe('claims')
		clock.advance(50)
		expect(cache.peek('token')).toBeUndefined()
		const load = vi.fn(async () => 'reloaded')
		expect(await cache.get('token', load)).toBe('reloaded')
	})

	it('maxAgeMs forces one shared refresh of a value younger than ttlMs', async () => {
		const { cache, clock } = setup({ ttlMs: 60_000 })
		let version = 0
		const load = vi.fn(async () => `v${++version}`)
		await cache.get('k', load)
		clock.advance(4_000)
		expect(await cache.get('k', load, { maxAgeMs: 5_000 })).toBe('v1')
		clock.advance(1_000)
		const forced = await Promise.all(
			Array.from({ length: 5 }, () => cache.get('k', load, { maxAgeMs: 5_000 })),
		)
		expect(forced).toEqual(Array(5).fill('v2'))
		expect(load).toHaveBeenCalledTimes(2)
	})
})

describe('stale-if-error', () => {
	it('serves the old value when a refresh fails within ttlMs + staleIfErrorMs', async () => {
		const { cache, clock } = setup({ ttlMs: 1_000, staleIfErrorMs: 5_000 })
		await cache.get('k', async () => 'old')
		clock.advance(5_999)
		const failing = vi.fn(async () => {
			throw new Error('secrets manager down')
		})
		const served = await Promise.all([cache.get('k', failing), cache.get('k', failing)])
		expect(served).toEqual(['old', 'old'])
		expect(failing).toHaveBeenCalledTimes(1)
		expect(cache.stats()).toMatchObject({ staleServed: 2, loadErrors: 1 })
	})

	it('rejects with the load error once the old value is older than ttlMs + staleIfErrorMs', async () => {
		const { cache, clock } = setup({ ttlMs: 1_000, staleIfErrorMs: 5_000 })
		await cache.get('k', async () => 'old')
		clock.advance(6_000)
		const error = new Error('still down')
		await expect(
			cache.get('k', async () => {
				throw error
			}),
		).rejects.toBe(error)
		expect(cache.size).toBe(0)
		expect(cache.stats().staleServed).toBe(0)
	})

	it('rejects at once without a previous value, and with staleIfErrorMs 0', async () => {
		const { cache, clock } = setup({ ttlMs: 1_000 })
		await expect(cache.get('cold', async () => Promise.reject(new Error('down')))).rejects.toThrow(
			'down',
		)
		await cache.get('k', async () => 'old')
		clock.advance(1_000)
		await expect(cache.get('k', async () => Promise.reject(new Error('down')))).rejects.toThrow(
			'down',
		)
	})

	it('replaces the stale value as soon as a refresh succeeds', async () => {
		const { cache, clock } = setup({ ttlMs: 1_000, staleIfErrorMs: 10_000 })
		await cache.get('k', async () => 'old')
		clock.advance(2_000)
		await cache.get('k', async () => Promise.reject(new Error('blip')))
		expect(await cache.get('k', async () => 'new')).toBe('new')
		expect(await cache.get('k', async () => 'unused')).toBe('new')
	})

	it('serves the current value when a forced refresh fails', async () => {
		const { cache, clock } = setup({ ttlMs: 60_000 })
		await cache.get('k', async () => 'current')
		clock.advance(10_000)
		const served = await cache.get('k', async () => Promise.reject(new Error('blip')), {
			maxAgeMs: 5_000,
		})
		expect(served).toBe('current')
	})
})

describe('refreshInBackground', () => {
	it('with allowStale false, waits for the load instead of serving the old value', async () => {
		const { cache, clock } = setup({ ttlMs: 1_000, staleIfErrorMs: 60_000 })
		await cache.get('k', async () => 'old')
		clock.advance(1_000)
		expect(
			await cache.get('k', async () => 'new', { refreshInBackground: true, allowStale: false }),
		).toBe('new')
		expect(cache.stats().staleServed).toBe(0)
	})

	it('serves a still-usable expired value at once and loads a fresh one once, in the background', async () => {
		const { cache, clock } = setup({ staleIfErrorMs: 5_000 })
		await cache.get('k', async () => 'old')
		clock.advance(1_500)
		const gate = deferred<string>()
		const load = vi.fn(() => gate.promise)
		const served = await Promise.all([
			cache.get('k', load, { refreshInBackground: true }),
			cache.get('k', load, { refreshInBackground: true }),
		])
		expect(served).toEqual(['old', 'old'])
		expect(load).toHaveBeenCalledTimes(1)
		gate.resolve('new')
		await gate.promise
		await Promise.resolve()
		expect(await cache.get('k', load, { refreshInBackground: true })).toBe('new')
	})

	it('keeps serving the old value after a failed background load, and waits once it is no longer usable', async () => {
		const { cache, clock } = setup({ staleIfErrorMs: 5_000, failureBackoffMs: 1_000 })
		await cache.get('k', async () => 'old')
		clock.advance(1_500)
		const failing = vi.fn(async () => {
			throw new Error('down')
		})
		expect(await cache.get('k', failing, { refreshInBackground: true })).toBe('old')
		await Promise.resolve()
		expect(await cache.get('k', failing, { refreshInBackground: true })).toBe('old')
		expect(failing).toHaveBeenCalledTimes(1)
		clock.advance(10_000)
		await expect(cache.get('k', failing, { refreshInBackground: true })).rejects.toThrow('down')
	})

	it('starts a background load through startRefresh, and a load callers wait for as it is', async () => {
		const { cache, clock } = setup({ staleIfErrorMs: 5_000 })
		let started = 0
		const startRefresh = <T>(start: () => T): T => {
			started++
			return start()
		}
		const options = { refreshInBackground: true, startRefresh }
		expect(await cache.get('k', async () => 'first', options)).toBe('first')
		expect(started).toBe(0)
		clock.advance(1_500)
		const gate = deferred<string>()
		const load = vi.fn(() => gate.promise)
		expect(await cache.get('k', load, options)).toBe('first')
		expect(await cache.get('k', load, options)).toBe('first')
		expect(started).toBe(1)
		expect(load).toHaveBeenCalledTimes(1)
		gate.resolve('new')
		await gate.promise
		await Promise.resolve()
		expect(await cache.get('k', load, options)).toBe('new')
		clock.advance(10_000)
		expect(await cache.get('k', async () => 'waited for', options)).toBe('waited for')
		expect(started).toBe(1)
	})
})

describe('failure backoff', () => {
	const down = () => Promise.reject(new Error('down'))

	it('answers with the remembered error, without loading, until failureBackoffMs has passed', async () => {
		const { cache, clock } = setup({ failureBackoffMs: 1_000 })
		const load = vi.fn(down)
		await expect(cache.get('k', load)).rejects.toThrow('down')
		clock.advance(999)
		await expect(cache.get('k', load)).rejects.toThrow('down')
		expect(load).toHaveBeenCalledTimes(1)
		clock.advance(1)
		await expect(cache.get('k', async () => 'up')).resolves.toBe('up')
		expect(cache.stats()).toMatchObject({ loads: 2, loadErrors: 1 })
	})

	// A wall clock stepping back (an NTP step) must not stretch the backoff by the step: a
	// minute's step would otherwise answer every caller with the old error for a minute.
	it('ends when the clock steps back to before the failure', async () => {
		const { cache, clock } = setup({ ttlMs: 60_000, failureBackoffMs: 1_000 })
		await expect(cache.get('k', down)).rejects.toThrow('down')
		clock.advance(-60_000)
		clock.advance(1_500)
		const load = vi.fn(async () => 'up')
		expect(await cache.get('k', load)).toBe('up')
		expect(load).toHaveBeenCalledTimes(1)
	})

	// Once ended, it stays ended: the clock catching up with the failure's instant again is not
	// a second later, but a minute and more. Seen by any call, on this key or another.
	it('stays ended when the clock, stepped back to before the failure, catches up with it', async () => {
		for (const seenBy of ['peek k', 'get other']) {
			const { cache, clock } = setup({ ttlMs: 60_000, failureBackoffMs: 1_000 })
			await expect(cache.get('k', down)).rejects.toThrow('down')
			clock.advance(-60_000)
			if (seenBy === 'peek k') expect(cache.peek('k')).toBeUndefined()
			else expect(await cache.get('other', async () => 'x')).toBe('x')
			clock.advance(60_500)
			const load = vi.fn(async () => 'up')
			expect(await cache.get('k', load), seenBy).toBe('up')
			expect(load).toHaveBeenCalledTimes(1)
		}
	})

	// A clock in fractional milliseconds (performance.now(), a test clock) is a clock in ms too:
	// the failure's own instant must be within its backoff, whatever the rounding of the sum.
	it('holds at the instant of the failure on a clock in fractional milliseconds', async () => {
		const clock = fakeClock(1_048.3)
		const cache = createTtlCache<string>({
			ttlMs: 1_000,
			staleIfErrorMs: 10_000,
			failureBackoffMs: 1_000,
			now: clock.now,
		})
		await expect(cache.get('cold', down)).rejects.toThrow('down')
		const load = vi.fn(down)
		await expect(cache.get('cold', load)).rejects.toThrow('down')
		expect(load).not.toHaveBeenCalled()
		cache.set('warm', 'old', { ttlMs: 0 })
		expect(await cache.get('warm', down)).toBe('old')
		expect(cache.lookup('warm')).toBe('old')
	})

	it('serves the stale value without loading while backing off, to get, lookup and peek', async () => {
		const { cache, clock } = setup({
			ttlMs: 1_000,
			staleIfErrorMs: 10_000,
			failureBackoffMs: 2_000,
		})
		await cache.get('k', async () => 'old')
		clock.advance(1_000)
		expect(cache.peek('k')).toBeUndefined()
		const load = vi.fn(down)
		expect(await cache.get('k', load)).toBe('old')
		expect(cache.peek('k')).toBe('old')
		expect(cache.lookup('k')).toBe('old')
		expect(await cache.get('k', load)).toBe('old')
		expect(load).toHaveBeenCalledTimes(1)
		expect(cache.stats().staleServed).toBe(3)
		clock.advance(2_000)
		expect(cache.peek('k')).toBeUndefined()
		expect(await cache.get('k', async () => 'new')).toBe('new')
		expect(cache.peek('k')).toBe('new')
	})

	it('gives callers with allowStale false the error, also while backing off', async () => {
		const { cache, clock } = setup({
			ttlMs: 1_000,
			staleIfErrorMs: 10_000,
			failureBackoffMs: 2_000,
		})
		await cache.get('k', async () => 'old')
		clock.advance(1_000)
		const gate = deferred<string>()
		const strict = cache.get('k', () => gate.promise, { allowStale: false })
		const lenient = cache.get('k', () => gate.promise)
		gate.reject(new Error('down'))
		await expect(strict).rejects.toThrow('down')
		await expect(lenient).resolves.toBe('old')
		await expect(cache.get('k', down, { allowStale: false })).rejects.toThrow('down')
		await expect(cache.get('k', down, { maxAgeMs: 0, allowStale: false })).rejects.toThrow('down')
	})

	it('blocks forced refreshes too, serving the current value', async () => {
		const { cache, clock } = setup({ ttlMs: 60_000, failureBackoffMs: 5_000 })
		await cache.get('k', async () => 'current')
		clock.advance(10_000)
		const load = vi.fn(down)
		expect(await cache.get('k', load, { maxAgeMs: 1_000 })).toBe('current')
		expect(await cache.get('k', load, { maxAgeMs: 1_000 })).toBe('current')
		expect(load).toHaveBeenCalledTimes(1)
	})

	it('keeps remembered failures within maxEntries', async () => {
		const { cache } = setup({ failureBackoffMs: 60_000, maxEntries: 10 })
		for (let i = 0; i < 100; i++) await cache.get(`k${i}`, down).catch(() => undefined)
		expect(cache.size).toBe(10)
	})
})

describe('negative caching', () => {
	it('remembers NotFoundError for negativeTtlMs', async () => {
		const { cache, clock } = setup({ negativeTtlMs: 60_000 })
		const missing = new NotFoundError('no such tenant')
		const load = vi.fn(async () => {
			throw missing
		})
		const flood = await Promise.allSettled(
			Array.from({ length: 50 }, () => cache.get('ghost', load)),
		)
		expect(flood.every((o) => o.status === 'rejected' && o.reason === missing)).toBe(true)
		for (let i = 0; i < 50; i++) await expect(cache.get('ghost', load)).rejects.toBe(missing)
		expect(load).toHaveBeenCalledTimes(1)
		expect(cache.stats()).toMatchObject({ negativeHits: 50, loadErrors: 0, loads: 1 })
		expect(cache.peek('ghost')).toBeUndefined()
		clock.advance(60_000)
		await expect(cache.get('ghost', async () => 'created')).resolves.toBe('created')
	})

	it('does not remember NotFoundError when negativeTtlMs is 0', async () => {
		const { cache } = setup()
		const load = vi.fn(async () => Promise.reject(new NotFoundError()))
		await expect(cache.get('ghost', load)).rejects.toBeInstanceOf(NotFoundError)
		await expect(cache.get('ghost', load)).rejects.toBeInstanceOf(NotFoundError)
		expect(load).toHaveBeenCalledTimes(2)
	})

	it('a deleted key stops serving its old value even within staleIfErrorMs', async () => {
		const { cache, clock } = setup({ staleIfErrorMs: 60_000, negativeTtlMs: 1_000 })
		await cache.get('tenant', async () => 'secret')
		clock.advance(1_000)
		await expect(
			cache.get('tenant', async () => Promise.reject(new NotFoundError())),
		).rejects.toBeInstanceOf(NotFoundError)
		expect(cache.peek('tenant')).toBeUndefined()
		expect(cache.stats().staleServed).toBe(0)
	})

	it('a key found missing (negativeTtlMs 0) is not served stale when the next load fails', async () => {
		// Nothing remembers the NotFoundError, but the old value must go all the same: an outage
		// right after a tenant was removed must not bring its secret or plan back as stale.
		const { cache, clock } = setup({ staleIfErrorMs: 60_000 })
		await cache.get('tenant', async () => 'secret')
		clock.advance(1_000)
		await expect(
			cache.get('tenant', async () => Promise.reject(new NotFoundError())),
		).rejects.toBeInstanceOf(NotFoundError)
		await expect(
			cache.get('tenant', async () => Promise.reject(new Error('down'))),
		).rejects.toThrow('down')
		expect(cache.stats().staleServed).toBe(0)
	})
})

describe('bounds', () => {
	it('evicts the least recently used entry beyond maxEntries', async () => {
		const { cache } = setup({ maxEntries: 3 })
		for (const key of ['a', 'b', 'c']) await cache.get(key, async () => key)
		await cache.get('a', async () => 'unused')
		await cache.get('d', async () => 'd')
		expect(cache.size).toBe(3)
		expect(cache.peek('b')).toBeUndefined()
		expect(['a', 'c', 'd'].map((key) => cache.peek(key))).toEqual(['a', 'c', 'd'])
		expect(cache.stats().evictions).toBe(1)
	})

	it('stays bounded under a flood of distinct keys, negative entries included', async () => {
		const { cache } = setup({ maxEntries: 100, negativeTtlMs: 60_000 })
		for (let i = 0; i < 1_000; i++) {
			await cache
				.get(`k${i}`, async () => Promise.reject(new NotFoundError()))
				.catch(() => undefined)
		}
		expect(cache.size).toBe(100)
		expect(cache.stats().evictions).toBe(900)
	})

	it('never lets unknown keys evict known ones: they have their own bound', async () => {
		const { cache } = setup({
			maxEntries: 10,
			maxNegativeEntries: 5,
			negativeTtlMs: 60_000,
			failureBackoffMs: 60_000,
		})
		await cache.get('tenant', async () => 'secret')
		for (let i = 0; i < 100; i++) {
			await cache
				.get(`ghost-${i}`, async () => Promise.reject(new NotFoundError()))
				.catch(() => undefined)
			await cache
				.get(`down-${i}`, async () => Promise.reject(new Error('down')))
				.catch(() => undefined)
		}
		expect(cache.peek('tenant')).toBe('secret')
		expect(cache.size).toBe(6)
	})

	it('starts no timers: a cache with entries does not keep the event loop alive', async () => {
		vi.useFakeTimers()
		try {
			const cache = createTtlCache<string>({
				ttlMs: 60_000,
				staleIfErrorMs: 60_000,
				negativeTtlMs: 60_000,
			})
			await cache.get('k', async () => 'v')
			cache.set('other', 'v')
			expect(vi.getTimerCount()).toBe(0)
		} finally {
			vi.useRealTimers()
		}
	})

	it('does not refresh idle keys', async () => {
		const { cache, clock } = setup({ ttlMs: 10 })
		const load = vi.fn(async () => 'v')
		await cache.get('idle', load)
		clock.advance(1_000_000)
		await new Promise((resolve) => setImmediate(resolve))
		expect(load).toHaveBeenCalledTimes(1)
	})

	it('with ttlMs Infinity is a bounded LRU map that never reads the clock to serve', async () => {
		const now = vi.fn(() => 0)
		const cache = createTtlCache<string>({ ttlMs: Number.POSITIVE_INFINITY, maxEntries: 2, now })
		cache.set('a', 'a')
		cache.set('b', 'b')
		now.mockClear()
		expect([cache.lookup('a'), cache.peek('b')]).toEqual(['a', 'b'])
		expect(await cache.get('a', async () => 'unused')).toBe('a')
		expect(now).not.toHaveBeenCalled()
		cache.set('c', 'c')
		expect(cache.peek('b')).toBeUndefined()
	})

	it('delete and clear drop entries', async () => {
		const { cache } = setup()
		await cache.get('a', async () => 'a')
		await cache.get('b', async () => 'b')
		expect(cache.delete('a')).toBe(true)
		expect(cache.delete('a')).toBe(false)
		expect(cache.size).toBe(1)
		cache.clear()
		expect(cache.size).toBe(0)
	})
})

describe('lookup', () => {
	it('returns fresh values synchronously, counting hits and misses', async () => {
		const { cache, clock } = setup({ ttlMs: 100, negativeTtlMs: 100 })
		expect(cache.lookup('k')).toBeUndefined()
		cache.set('k', 'v')
		expect(cache.lookup('k')).toBe('v')
		await cache.get('ghost', async () => Promise.reject(new NotFoundError())).catch(() => undefined)
		expect(cache.lookup('ghost')).toBeUndefined()
		clock.advance(100)
		expect(cache.lookup('k')).toBeUndefined()
		expect(cache.stats()).toMatchObject({ hits: 1, misses: 4 })
	})

	it('marks keys as recently used, where peek does not', () => {
		const { cache } = setup({ maxEntries: 2 })
		cache.set('a', 'a')
		cache.set('b', 'b')
		cache.peek('a')
		cache.set('c', 'c')
		expect(cache.peek('a')).toBeUndefined()
		cache.lookup('b')
		cache.set('d', 'd')
		expect([cache.peek('b'), cache.peek('c'), cache.peek('d')]).toEqual(['b', undefined, 'd'])
	})
})

describe('clock', () => {
	it('reads the system clock once per synchronous run, again after an await', async () => {
		vi.useFakeTimers({ now: 0 })
		try {
			const cache = createTtlCache<string>({ ttlMs: 1_000 })
			cache.set('k', 'v')
			vi.setSystemTime(5_000)
			expect(cache.peek('k')).toBe('v')
			await Promise.resolve()
			expect(cache.peek('k')).toBeUndefined()
		} finally {
			vi.useRealTimers()
		}
	})

	it('uses Date.now by default, so fake system time drives expiry', async () => {
		vi.useFakeTimers({ now: 0 })
		try {
			const cache = createTtlCache<string>({ ttlMs: 1_000 })
			const load = vi.fn(async () => 'v')
			await cache.get('k', load)
			vi.setSystemTime(999)
			await cache.get('k', load)
			vi.setSystemTime(1_000)
			await cache.get('k', load)
			expect(load).toHaveBeenCalledTimes(2)
		} finally {
			vi.useRealTimers()
		}
	})
})

describe('options', () => {
	it('takes the default for an option given as undefined', () => {
		expect(() =>
			createTtlCache({ ttlMs: 1_000, staleIfErrorMs: undefined, failureBackoffMs: undefined }),
		).not.toThrow()
	})

	it.each([
		[{ ttlMs: 0 }, 'ttlMs'],
		[{ ttlMs: -1 }, 'ttlMs'],
		[{ ttlMs: Number.NaN }, 'ttlMs'],
		[{ ttlMs: 1, staleIfErrorMs: -1 }, 'staleIfErrorMs'],
		[{ ttlMs: 1, negativeTtlMs: Number.POSITIVE_INFINITY }, 'negativeTtlMs'],
		[{ ttlMs: 1, maxEntries: 0 }, 'maxEntries'],
		[{ ttlMs: 1, failureBackoffMs: -5 }, 'failureBackoffMs'],
		[{ ttlMs: 1, maxNegativeEntries: 0 }, 'maxNegativeEntries'],
		[{ ttlMs: 1, maxEntries: 1.5 }, 'maxEntries'],
		[{ ttlMs: 1, now: 'yesterday' }, 'now'],
		[{ ttlMs: 1, ttl: 5 }, 'ttl'],
	])('rejects %o naming %s', (options, option) => {
		expect(() => createTtlCache(options as TtlCacheOptions)).toThrow(
			expect.objectContaining({
				name: 'TypeError',
				message: expect.stringContaining(`'${option}'`),
				cause: { package: '@tenantry/cache', option },
			}),
		)
	})
})

// A load detached by `delete` answers its own callers only (README, `delete`/`clear` row);
// one detached by `set` that then fails starts a failure backoff (README, `set` row).
describe('a detached load that fails', () => {
	it('records nothing against a deleted key, even once a newer load stored it again', async () => {
		const { cache } = setup({ ttlMs: 10_000, staleIfErrorMs: 60_000, failureBackoffMs: 1_000 })
		const forgotten = deferred<string>()
		const first = cache.get('k', () => forgotten.promise)
		cache.delete('k')
		expect(await cache.get('k', async () => 'reloaded')).toBe('reloaded')
		forgotten.reject(new Error('down'))
		await first.catch(() => undefined)
		// A forced refresh loads: the forgotten load's failure is not this key's.
		const refresh = vi.fn(async () => 'refreshed')
		expect(await cache.get('k', refresh, { maxAgeMs: 0 })).toBe('refreshed')
		expect(refresh).toHaveBeenCalledTimes(1)
	})

	it('starts the backoff even when the value set meanwhile was evicted since', async () => {
		const { cache } = setup({ ttlMs: 10_000, failureBackoffMs: 1_000, maxEntries: 1 })
		const replaced = deferred<string>()
		const first = cache.get('k', () => replaced.promise)
		cache.set('k', 'set')
		cache.set('other', 'o')
		expect(cache.peek('k')).toBeUndefined()
		replaced.reject(new Error('down'))
		await first.catch(() => undefined)
		// The set key's load failed: no load starts within failureBackoffMs.
		const again = vi.fn(async () => 'again')
		await expect(cache.get('k', again)).rejects.toThrow('down')
		expect(again).not.toHaveBeenCalled()
	})

	it('records nothing when the key a set replaced was deleted before the load failed', async () => {
		const { cache } = setup({ ttlMs: 10_000, failureBackoffMs: 1_000 })
		const replaced = deferred<string>()
		const first = cache.get('k', () => replaced.promise)
		cache.set('k', 'set')
		cache.delete('k')
		replaced.reject(new Error('down'))
		await first.catch(() => undefined)
		// The caller forgot the key: its next get loads at once, as for any key never seen.
		const again = vi.fn(async () => 'again')
		expect(await cache.get('k', again)).toBe('again')
		expect(again).toHaveBeenCalledTimes(1)
	})
})
