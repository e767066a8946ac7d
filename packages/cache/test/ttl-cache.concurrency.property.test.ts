import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createTtlCache, type GetOptions, NotFoundError } from '../src/index.js'

/**
 * Random interleavings of gets whose loads stay pending, answer, fail, answer "not found" or
 * never settle, with set, delete, clear, lookup, peek and clock steps. Checked against the
 * README's rules rather than a full reference:
 * - single-flight: one load per key at a time, unless set, delete or clear detached it;
 * - a detached load's result is never stored: a value seen never goes back to an older one,
 *   and after delete or clear never to one from before it;
 * - failure backoff: after a failed load of a key (attached, or detached by a set) no load of
 *   it starts for failureBackoffMs, unless a delete or clear forgot it;
 * - never more keys than maxEntries + maxNegativeEntries.
 */

type Command =
	| { op: 'get'; key: string; options: GetOptions | undefined }
	| { op: 'settle'; index: number; how: 'value' | 'error' | 'missing' }
	| { op: 'set'; key: string; ttlMs: number | undefined }
	| { op: 'delete'; key: string }
	| { op: 'clear' }
	| { op: 'lookup'; key: string }
	| { op: 'advance'; ms: number }

const key = fc.constantFrom('a', 'b')
const command: fc.Arbitrary<Command> = fc.oneof(
	{
		arbitrary: fc.record({
			op: fc.constant('get' as const),
			key,
			options: fc.constantFrom<GetOptions | undefined>(
				undefined,
				{ maxAgeMs: 0 },
				{ allowStale: false },
				{ refreshInBackground: true },
			),
		}),
		weight: 4,
	},
	{
		arbitrary: fc.record({
			op: fc.constant('settle' as const),
			index: fc.nat(3),
			how: fc.constantFrom('value' as const, 'error' as const, 'missing' as const),
		}),
		weight: 4,
	},
	{
		arbitrary: fc.record({
			op: fc.constant('set' as const),
			key,
			ttlMs: fc.constantFrom(undefined, 0, 300),
		}),
		weight: 2,
	},
	{ arbitrary: fc.record({ op: fc.constant('delete' as const), key }), weight: 1 },
	{ arbitrary: fc.constant({ op: 'clear' as const }), weight: 1 },
	{ arbitrary: fc.record({ op: fc.constant('lookup' as const), key }), weight: 2 },
	{
		arbitrary: fc.record({
			op: fc.constant('advance' as const),
			ms: fc.constantFrom(0, 1, 299, 300, 700, 1_000, 2_500),
		}),
		weight: 2,
	},
)

interface Pending {
	key: string
	version: number
	resolve: (value: string) => void
	reject: (error: unknown) => void
	/** The forget epoch of its key when it started. */
	epoch: number
	/** Whether a set, delete or clear has detached it since. */
	detached: boolean
}

const versionOf = (value: string | undefined): number =>
	value === undefined ? -1 : Number(value.split(':')[1])

const flush = async () => {
	for (let i = 0; i < 5; i++) await Promise.resolve()
}

describe('TTL cache under concurrent loads', () => {
	it.each([0, 700])('keeps its rules (failureBackoffMs %i)', async (failureBackoffMs) => {
		await fc.assert(
			fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
				let now = 0
				// As many as keys: an evicted key's backoff is forgotten by design (bounded), which
				// the backoff check below does not model.
				const maxEntries = 3
				const maxNegativeEntries = 3
				const cache = createTtlCache<string>({
					ttlMs: 1_000,
					staleIfErrorMs: 1_000,
					negativeTtlMs: 300,
					failureBackoffMs,
					maxEntries,
					maxNegativeEntries,
					now: () => now,
				})
				let version = 0
				const pending: Pending[] = []
				/** Lowest version a value of each key may have (raised by delete and clear). */
				const floor = new Map<string, number>()
				/** Highest version seen per key since its last delete or clear. */
				const seen = new Map<string, number>()
				/** Forget epochs per key: a delete or clear starts a new one. */
				const epochs = new Map<string, number>()
				/** When a failure of a key (in its current epoch) was last observed. */
				const failedAt = new Map<string, number>()
				let forgetAll = 0
				/** Reference entries (no eviction: as many slots as keys). */
				interface Model {
					value: string | undefined
					missing: boolean
					expiresAt: number
					staleUntil: number
					failedUntil: number
				}
				const model = new Map<string, Model>()
				const fresh = (m: Model | undefined) =>
					m !== undefined && (m.value !== undefined || m.missing) && now < m.expiresAt
				const expected = (k: string): string | undefined => {
					const m = model.get(k)
					if (m === undefined || m.missing) return undefined
					if (fresh(m)) return m.value
					return now < m.failedUntil && m.value !== undefined && now < m.staleUntil
						? m.value
						: undefined
				}
				const fail = (k: string) => {
					const m = model.get(k)
					if (m !== undefined) m.failedUntil = now + failureBackoffMs
					else
						model.set(k, {
							value: undefined,
							missing: false,
							expiresAt: Number.NEGATIVE_INFINITY,
							staleUntil: Number.NEGATIVE_INFINITY,
							failedUntil: now + failureBackoffMs,
						})
				}
				const epochOf = (k: string) => (epochs.get(k) ?? 0) + forgetAll * 1_000_000

				const observe = (k: string, value: string | undefined) => {
					if (value === undefined) return
					const v = versionOf(value)
					expect(value.startsWith(`${k}:`)).toBe(true)
					expect(v).toBeGreaterThanOrEqual(floor.get(k) ?? 0)
				}
				const check = (k: string) => {
					const value = cache.peek(k)
					observe(k, value)
					if (value !== undefined) {
						const v = versionOf(value)
						// Never goes back to an older value (a detached load's result is not stored).
						expect(v).toBeGreaterThanOrEqual(seen.get(k) ?? -1)
						seen.set(k, v)
					}
				}
				const forget = (k: string) => {
					for (const p of pending) if (p.key === k) p.detached = true
					floor.set(k, version + 1)
					seen.delete(k)
					epochs.set(k, (epochs.get(k) ?? 0) + 1)
					failedAt.delete(k)
				}

				for (const c of commands) {
					switch (c.op) {
						case 'get': {
							const before = pending.filter((p) => p.key === c.key && !p.detached).length
							const started = pending.length
							const m = model.get(c.key)
							const shouldLoad =
								!(fresh(m) && c.options?.maxAgeMs !== 0) &&
								!(m !== undefined && now < m.failedUntil) &&
								before === 0
							const promise = cache.get(
								c.key,
								(k) => {
									const p: Pending = {
										key: k,
										version: ++version,
										resolve: () => undefined,
										reject: () => undefined,
										epoch: epochOf(k),
										detached: false,
									}
									pending.push(p)
									return new Promise<string>((resolve, reject) => {
										p.resolve = resolve
										p.reject = reject
									})
								},
								c.options,
							)
							// A detached load answers its own callers: only its key is checked here.
							promise.then(
								(value) => {
									if (!value.startsWith(`${c.key}:`)) throw new Error(`${c.key} got ${value}`)
								},
								() => undefined,
							)
							expect(pending.length > started).toBe(shouldLoad)
							if (pending.length > started) {
								// Single-flight: no load starts while an attached one runs.
								expect(before).toBe(0)
								// Backoff: no load within failureBackoffMs of a failure of this key.
								const at = failedAt.get(c.key)
								if (failureBackoffMs > 0 && at !== undefined)
									expect(now - at).toBeGreaterThanOrEqual(failureBackoffMs)
							}
							break
						}
						case 'settle': {
							const live = pending.filter((p) => p.resolve !== undefined)
							if (live.length === 0) break
							const p = live[c.index % live.length] as Pending
							pending.splice(pending.indexOf(p), 1)
							if (!p.detached) {
								const m = model.get(p.key)
								if (c.how === 'value')
									model.set(p.key, {
										value: `${p.key}:${p.version}`,
										missing: false,
										expiresAt: now + 1_000,
										staleUntil: now + 2_000,
										failedUntil: 0,
									})
								else if (c.how === 'missing')
									model.set(p.key, {
										value: undefined,
										missing: true,
										expiresAt: now + 300,
										staleUntil: now + 300,
										failedUntil: 0,
									})
								else if (m !== undefined && m.value !== undefined && now < m.staleUntil) {
									if (failureBackoffMs > 0) m.failedUntil = now + failureBackoffMs
								} else {
									model.delete(p.key)
									if (failureBackoffMs > 0) fail(p.key)
								}
							} else if (c.how === 'error' && p.epoch === epochOf(p.key) && failureBackoffMs > 0)
								fail(p.key)
							if (c.how === 'value') p.resolve(`${p.key}:${p.version}`)
							else if (c.how === 'missing') p.reject(new NotFoundError('missing'))
							else {
								p.reject(new Error('down'))
							}
							await flush()
							// A failed load starts a backoff, attached or detached by a set (README, set row),
							// unless a delete or clear forgot its key since.
							if (c.how === 'error' && p.epoch === epochOf(p.key)) failedAt.set(p.key, now)
							if (c.how !== 'error' && !p.detached) failedAt.delete(p.key)
							check(p.key)
							break
						}
						case 'set': {
							for (const p of pending) if (p.key === c.key) p.detached = true
							cache.set(c.key, `${c.key}:${++version}`, { ttlMs: c.ttlMs })
							{
								const m = model.get(c.key)
								model.set(c.key, {
									value: `${c.key}:${version}`,
									missing: false,
									expiresAt: now + (c.ttlMs ?? 1_000),
									staleUntil: now + (c.ttlMs ?? 1_000) + 1_000,
									failedUntil: m !== undefined && now < m.failedUntil ? m.failedUntil : 0,
								})
							}
							check(c.key)
							break
						}
						case 'delete':
							cache.delete(c.key)
							model.delete(c.key)
							forget(c.key)
							expect(cache.peek(c.key)).toBeUndefined()
							break
						case 'clear':
							cache.clear()
							model.clear()
							for (const k of ['a', 'b', 'c']) forget(k)
							forgetAll++
							expect(cache.size).toBe(0)
							break
						case 'lookup':
							expect(cache.lookup(c.key)).toBe(expected(c.key))
							break
						case 'advance':
							now += c.ms
							for (const [k, at] of failedAt) if (now - at >= failureBackoffMs) failedAt.delete(k)
							break
					}
					expect(cache.size).toBeLessThanOrEqual(maxEntries + maxNegativeEntries)
					for (const k of ['a', 'b', 'c']) {
						check(k)
						expect(cache.peek(k)).toBe(expected(k))
					}
				}
				// Whatever is still pending settles: nothing it answers goes back in time.
				for (const p of pending.splice(0)) p.resolve(`${p.key}:${p.version}`)
				await flush()
				for (const k of ['a', 'b', 'c']) check(k)
			}),
			{ numRuns: 3_000 },
		)
	})
})
