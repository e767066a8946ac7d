import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createTtlCache, NotFoundError } from '../src/index.js'

type Command =
	| { op: 'get'; key: string; outcome: 'value' | 'error' | 'missing' }
	| { op: 'lookup'; key: string }
	| { op: 'set'; key: string }
	| { op: 'delete'; key: string }
	| { op: 'advance'; ms: number }

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f')
const command: fc.Arbitrary<Command> = fc.oneof(
	fc.record({
		op: fc.constant('get' as const),
		key,
		outcome: fc.constantFrom('value' as const, 'error' as const, 'missing' as const),
	}),
	fc.record({ op: fc.constant('lookup' as const), key }),
	fc.record({ op: fc.constant('set' as const), key }),
	fc.record({ op: fc.constant('delete' as const), key }),
	fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2_500 }) }),
)

interface ModelEntry {
	value: string | undefined
	loadedAt: number
	expiresAt: number
	staleUntil: number
}

/**
 * Drives the cache and a plain reference model with the same random commands and checks
 * they agree on every answer: TTL, stale-if-error, negative caching and LRU order.
 */
describe('TTL cache against a reference model', () => {
	it('agrees with the model on every command sequence', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(command, { maxLength: 60 }), async (commands) => {
				const ttlMs = 1_000
				const staleIfErrorMs = 1_000
				const negativeTtlMs = 500
				const maxEntries = 3
				let now = 0
				const cache = createTtlCache<string>({
					ttlMs,
					staleIfErrorMs,
					negativeTtlMs,
					maxEntries,
					now: () => now,
				})
				const model = new Map<string, ModelEntry>()
				let version = 0

				const touch = (k: string) => {
					const entry = model.get(k)
					if (!entry) return
					model.delete(k)
					model.set(k, entry)
				}
				const store = (k: string, entry: ModelEntry) => {
					model.delete(k)
					model.set(k, entry)
					if (model.size > maxEntries) model.delete(model.keys().next().value as string)
				}

				for (const c of commands) {
					if (c.op === 'advance') {
						now += c.ms
						continue
					}
					const entry = model.get(c.key)
					const fresh = entry !== undefined && now < entry.expiresAt ? entry : undefined
					if (c.op === 'lookup') {
						if (fresh?.value !== undefined) touch(c.key)
						expect(cache.lookup(c.key)).toBe(fresh?.value)
					} else if (c.op === 'set') {
						const value = `v${++version}`
						store(c.key, {
							value,
							loadedAt: now,
							expiresAt: now + ttlMs,
							staleUntil: now + ttlMs + staleIfErrorMs,
						})
						cache.set(c.key, value)
					} else if (c.op === 'delete') {
						expect(cache.delete(c.key)).toBe(model.delete(c.key))
					} else {
						const loaded = `v${++version}`
						const load = async () => {
							if (c.outcome === 'value') return loaded
							if (c.outcome === 'missing') throw new NotFoundError()
							throw new Error('down')
						}
						const got = await cache.get(c.key, load).then(
							(value) => ({ value }),
							(error: unknown) => ({ error: error instanceof NotFoundError ? 'missing' : 'error' }),
						)
						let expected: { value: string } | { error: string }
						if (fresh) {
							touch(c.key)
							expected = fresh.value === undefined ? { error: 'missing' } : { value: fresh.value }
						} else if (c.outcome === 'value') {
							store(c.key, {
								value: loaded,
								loadedAt: now,
								expiresAt: now + ttlMs,
								staleUntil: now + ttlMs + staleIfErrorMs,
							})
							expected = { value: loaded }
						} else if (c.outcome === 'missing') {
							store(c.key, {
								value: undefined,
								loadedAt: now,
								expiresAt: now + negativeTtlMs,
								staleUntil: now + negativeTtlMs,
							})
							expected = { error: 'missing' }
						} else if (entry?.value !== undefined && now < entry.staleUntil) {
							expected = { value: entry.value }
						} else {
							model.delete(c.key)
							expected = { error: 'error' }
						}
						expect(got).toEqual(expected)
					}
					expect(cache.size).toBe(model.size)
					expect(cache.size).toBeLessThanOrEqual(maxEntries)
				}
			}),
			{ numRuns: 500 },
		)
	})
})
