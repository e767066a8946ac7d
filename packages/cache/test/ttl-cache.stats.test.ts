import { describe, expect, it } from 'vitest'
import { createTtlCache, NotFoundError } from '../src/index.js'
import { deferred } from './deferred.js'

// stats(): `loadErrors` counts "loader calls that failed with anything but NotFoundError",
// what an alarm on a failing dependency watches.
describe('loadErrors', () => {
	it.each(['set', 'delete', 'clear'] as const)(
		'counts a failed load that a %s detached',
		async (detach) => {
			const cache = createTtlCache<string>({ ttlMs: 1_000, now: () => 0 })
			const failing = deferred<string>()
			const pending = cache.get('k', () => failing.promise)
			if (detach === 'set') cache.set('k', 'v')
			else if (detach === 'delete') cache.delete('k')
			else cache.clear()
			failing.reject(new Error('down'))
			await pending.catch(() => undefined)
			expect(cache.stats()).toMatchObject({ loads: 1, loadErrors: 1 })
		},
	)

	it('does not count a detached load that answered NotFoundError', async () => {
		const cache = createTtlCache<string>({ ttlMs: 1_000, now: () => 0 })
		const missing = deferred<string>()
		const pending = cache.get('k', () => missing.promise)
		cache.delete('k')
		missing.reject(new NotFoundError())
		await pending.catch(() => undefined)
		expect(cache.stats()).toMatchObject({ loads: 1, loadErrors: 0 })
	})
})
