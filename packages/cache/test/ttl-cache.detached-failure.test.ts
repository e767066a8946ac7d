import { describe, expect, it, vi } from 'vitest'
import { createTtlCache, type TtlCacheOptions } from '../src/index.js'

/**
 * A load detached by `delete` answers its own callers only (README, `delete`/`clear` row);
 * one detached by `set` that then fails starts a failure backoff (README, `set` row).
 */

const setup = (options: Partial<TtlCacheOptions> = {}) => {
	let current = 1_000_000
	const cache = createTtlCache<string>({ ttlMs: 10_000, now: () => current, ...options })
	return {
		cache,
		advance: (ms: number) => {
			current += ms
		},
	}
}

const deferred = <T>() => {
	let resolve!: (value: T) => void
	let reject!: (error: unknown) => void
	const promise = new Promise<T>((res, rej) => {
		resolve = res
		reject = rej
	})
	return { promise, resolve, reject }
}

describe('a detached load that fails', () => {
	it('records nothing against a deleted key, even once a newer load stored it again', async () => {
		const { cache } = setup({ staleIfErrorMs: 60_000, failureBackoffMs: 1_000 })
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
		const { cache } = setup({ failureBackoffMs: 1_000, maxEntries: 1 })
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
})
