import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createTtlCache, NotFoundError } from '../src/index.js'

type Command =
	| { op: 'get'; key: string; outcome: 'value' | 'error' | 'missing' }
	| { op: 'lookup'; key: string }
	| { op: 'set'; key: string }
	| { op: 'delete'; key: string }
	| { op: 'advance'; ms: number }

const key = fc.constantFrom('a', 'b', 'c', 'd')
const command: fc.Arbitrary<Command> = fc.oneof(
	fc.record({
		op: fc.constant('get' as const),
		key,
		outcome: fc.constantFrom('value' as const, 'error' as const, 'missing' as const),
	}),
	fc.record({ op: fc.constant('lookup' as const), key }),
	fc.record({ op: fc.constant('set' as const), key }),
	fc.record({ op: fc.constant('delete' as const), key }),
	fc.record({
		op: fc.constant('advance' as const),
		// Steps around the TTL, stale and backoff boundaries reach the interesting states often.
		ms: fc.oneof(
			fc.constantFrom(0, 1, 300, 499, 500, 699, 700, 999, 1_000, 1_500),
			fc.integer({ min: 0, max: 2_500 }),
		),
	}),
)

interface ModelEntry {
	kind: 'value' | 'missing' | 'failed'
	value: string | undefined
	expiresAt: number
	staleUntil: number
	failedUntil: number
}

/**
 * Drives the cache and a plain reference model with the same random commands and checks
 * they agree on every answer: TTL, stale-if-error, negative caching, failure backoff and
 * LRU order.
 */
describe('TTL cache against a reference model', () => {
	it.each([0, 700])(
		'agrees with the model on every command sequence (failureBackoffMs %i)',
		async (failureBackoffMs) => {
			await fc.assert(
				fc.asyncProperty(fc.array(command, { maxLength: 60 }), async (commands) => {
					const ttlMs = 1_000
					const staleIfErrorMs = 1_000
					const negativeTtlMs = 500
					const maxEntries = 3
					const maxNegativeEntries = 2
					let now = 0
					const cache = createTtlCache<string>({
						ttlMs,
						staleIfErrorMs,
						negativeTtlMs,
						failureBackoffMs,
						maxEntries,
						maxNegativeEntries,
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
					// Keys with a value and keys without one are bounded apart, oldest first in each.
					const store = (k: string, entry: ModelEntry) => {
						model.delete(k)
						model.set(k, entry)
						const withValue = entry.kind === 'value'
						const group = [...model].filter(([, e]) => (e.kind === 'value') === withValue)
						const bound = withValue ? maxEntries : maxNegativeEntries
						if (group.length > bound) model.delete(group[0]?.[0] as string)
					}
					const valueEntry = (value: string): ModelEntry => ({
						kind: 'value',
						value,
						expiresAt: now + ttlMs,
						staleUntil: now + ttlMs + staleIfErrorMs,
						failedUntil: 0,
					})
					const fresh = (entry: ModelEntry | undefined) =>
						entry !== undefined && entry.kind !== 'failed' && now < entry.expiresAt
					const backingOff = (entry: ModelEntry | undefined) =>
						entry !== undefined && now < entry.failedUntil
					const usableStale = (entry: ModelEntry | undefined) =>
						entry !== undefined && entry.kind === 'value' && now < entry.staleUntil

					for (const c of commands) {
						if (c.op === 'advance') {
							now += c.ms
							continue
						}
						const entry = model.get(c.key)
						if (c.op === 'lookup') {
							const servable =
								(fresh(entry) && entry?.kind === 'value') ||
								(backingOff(entry) && usableStale(entry))
							if (servable) touch(c.key)
							expect(cache.lookup(c.key)).toBe(servable ? entry?.value : undefined)
						} else if (c.op === 'set') {
							const value = `v${++version}`
							store(c.key, valueEntry(value))
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
								(error: unknown) => ({
									error: error instanceof NotFoundError ? 'missing' : 'error',
								}),
							)
							let expected: { value: string } | { error: string }
							if (fresh(entry)) {
								touch(c.key)
								expected =
									entry?.kind === 'missing'
										? { error: 'missing' }
										: { value: entry?.value as string }
							} else if (backingOff(entry)) {
								if (usableStale(entry)) touch(c.key)
								expected = usableStale(entry)
									? { value: entry?.value as string }
									: { error: 'error' }
							} else if (c.outcome === 'value') {
								store(c.key, valueEntry(loaded))
								expected = { value: loaded }
							} else if (c.outcome === 'missing') {
								if (negativeTtlMs > 0) {
									store(c.key, {
										kind: 'missing',
										value: undefined,
										expiresAt: now + negativeTtlMs,
										staleUntil: now + negativeTtlMs,
										failedUntil: 0,
									})
								}
								expected = { error: 'missing' }
							} else if (entry !== undefined && usableStale(entry)) {
								if (failureBackoffMs > 0) entry.failedUntil = now + failureBackoffMs
								expected = { value: entry.value as string }
							} else {
								model.delete(c.key)
								if (failureBackoffMs > 0) {
									store(c.key, {
										kind: 'failed',
										value: undefined,
										expiresAt: -1,
										staleUntil: -1,
										failedUntil: now + failureBackoffMs,
									})
								}
								expected = { error: 'error' }
							}
							expect(got).toEqual(expected)
						}
						expect(cache.size).toBe(model.size)
						expect(cache.size).toBeLessThanOrEqual(maxEntries + maxNegativeEntries)
					}
				}),
				{ numRuns: 2_000 },
			)
		},
	)
})
