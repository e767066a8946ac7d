import type { Fault } from '@tenantry/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fakeClock } from './helpers.js'
import { type Container, delivery, replayTable } from './replay-faults.js'

// The replay store's contract (README, "Replay store") under random deliveries and DynamoDB
// faults: first deliveries, retries after a 503, duplicates, concurrent duplicates in other
// containers, handlers answering 5xx with and without releaseReplayOnServerError, while
// DynamoDB (dynalite, with its fault injection) fails, delays or drops writes at random points
// of the store's work (the claim, its withdrawal, the remembering of a claim refused on the
// SDK's retry, a release), and the replay-faults helper loses a claim's answer or holds a
// claim's write until DynamoDB applies it later.
//
// What the model promises for one message, from what was observed of the store's writes (each
// container's client records the outcome of every write, and whether a claim's write may have
// landed: applied with its answer lost, or held by DynamoDB):
// - no answer is a 500; a 503 or a 401 never ran the handler;
// - the handler succeeds at most once, and runs at most once more per release that succeeded
//   after a 5xx (releaseReplayOnServerError);
// - once a delivery was processed, or failed with a 5xx that was not released, every later
//   delivery within the tolerance is refused: 401 (a 503 while DynamoDB fails);
// - otherwise (no claim stands) a lone delivery is never refused as a replay, and is processed
//   when DynamoDB is healthy: in particular the retry of a 503 whose claim was withdrawn;
// - the one documented exception: a claim whose write may have landed, when DynamoDB failed
//   for its withdrawal too ("a write that landed stays, and the retry is refused"); that
//   message may then be refused or processed, but still never twice.

const table = replayTable('replay-withdrawal-property')

type Gated = 'withdrawal' | 'remembering'
type Point = 'claim' | Gated | 'release'
type ClientFault = 'none' | 'lose' | 'stall' | 'stall-landing-after-withdrawal'
type HandlerOutcome = 'ok' | 'throws-502' | 'returns-502'

interface Copy {
	maxAttempts: 1 | 2
	clientFault: ClientFault
	/** With maxAttempts 2: the stall holds both attempts, not only the first. */
	stallBoth: boolean
	dynamoFault: { at: Point; fault: Fault; times: number } | null
	/**
	 * The copy's withdrawal (or remembering) is held until every other copy of its group has
	 * answered or is held too (withdrawals are let go first), so that their writes meet its
	 * record; DynamoDB may first apply every claim write it holds.
	 */
	hold: { at: Gated; landFirst: boolean } | null
	handler: HandlerOutcome
	/** The handler's own time: a concurrent duplicate may claim while it runs. */
	handlerMs: number
}

type Step = { kind: 'deliver'; message: number; copies: Copy[] } | { kind: 'land' }

const dynamoFault = fc.record({
	at: fc.constantFrom<Point>('claim', 'withdrawal', 'remembering', 'release'),
	fault: fc.constantFrom<Fault>(
		{ type: 'server-error' }, // write not applied, answer 500
		{ type: 'down' }, // connection dropped before DynamoDB read the write
		{ type: 'delay', ms: 20 }, // slow, then applied
		{ type: 'delay', ms: 20, answer: { type: 'server-error' } }, // slow, then failed
	),
	// 2: the SDK's retry (maxAttempts 2) or the next write fails too
	times: fc.integer({ min: 1, max: 2 }),
})

const handler = fc.constantFrom<HandlerOutcome>('ok', 'ok', 'throws-502', 'returns-502')

const anyCopy: fc.Arbitrary<Copy> = fc.record({
	maxAttempts: fc.constantFrom<1 | 2>(1, 2),
	clientFault: fc.constantFrom<ClientFault>(
		'none',
		'lose',
		'stall',
		'stall-landing-after-withdrawal',
	),
	stallBoth: fc.boolean(),
	dynamoFault: fc.option(dynamoFault, { freq: 2 }),
	hold: fc.option(
		fc.record({
			at: fc.constantFrom<Gated>('withdrawal', 'remembering'),
			landFirst: fc.boolean(),
		}),
		{ freq: 2 },
	),
	handler,
	handlerMs: fc.constantFrom(0, 0, 10),
})

/**
 * Any copy, or one of two that random fields seldom meet together: a claim applied with its
 * answer lost whose withdrawal is held (its record stands meanwhile, as in
 * replay-concurrent-withdraw.test.ts), and a claim whose write DynamoDB holds, so that its
 * withdrawal, or the SDK's retry, meets that record, and which may land before it is
 * remembered (replay-retried-claim.test.ts).
 */
const copy: fc.Arbitrary<Copy> = fc.oneof(
	{ weight: 2, arbitrary: anyCopy },
	{
		weight: 1,
		arbitrary: fc.record({
			maxAttempts: fc.constant<1 | 2>(1),
			clientFault: fc.constant<ClientFault>('lose'),
			stallBoth: fc.constant(false),
			dynamoFault: fc.constant(null),
			hold: fc.record({ at: fc.constant<Gated>('withdrawal'), landFirst: fc.boolean() }),
			handler,
			handlerMs: fc.constant(0),
		}),
	},
	{
		weight: 1,
		arbitrary: fc.record({
			maxAttempts: fc.constantFrom<1 | 2>(1, 2),
			clientFault: fc.constantFrom<ClientFault>('stall', 'stall', 'stall-landing-after-withdrawal'),
			stallBoth: fc.constant(false),
			dynamoFault: fc.constant(null),
			hold: fc.option(
				fc.record({ at: fc.constant<Gated>('remembering'), landFirst: fc.constant(true) }),
			),
			handler,
			handlerMs: fc.constant(0),
		}),
	},
)

const messages = 2
const step: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 6,
		arbitrary: fc.record({
			kind: fc.constant('deliver' as const),
			message: fc.integer({ min: 0, max: messages - 1 }),
			copies: fc.array(copy, { minLength: 1, maxLength: 3 }),
		}),
	},
	{ weight: 1, arbitrary: fc.constant({ kind: 'land' as const }) },
)

type Outcome = 'ok' | 'condition' | 'error'

/** What one delivery did, as its container's client saw it. */
interface Observed {
	status: number
	runs: number
	/** Outcomes of the store's writes before the handler (the claim first), and after it. */
	claimWrites: Outcome[]
	releaseWrites: Outcome[]
	/** An attempt of the claim's write was applied with its answer lost, or is held by DynamoDB. */
	claimMayLand: boolean
}

/**
 * free: no claim stands; refused: a claim stands for good (a processed delivery, a 5xx not
 * released); uncertain: a landed claim could not be withdrawn (the README's limit).
 */
type State = 'free' | 'refused' | 'uncertain'

const statusError = () => Object.assign(new Error('Bad Gateway'), { statusCode: 502, expose: true })

const healthy: Copy = {
	maxAttempts: 2,
	clientFault: 'none',
	stallBoth: false,
	dynamoFault: null,
	hold: null,
	handler: 'ok',
	handlerMs: 0,
}

interface Group {
	/** Resolves when the copy's held write may go on. */
	held: (index: number, write: Gated) => Promise<void>
	answered: (index: number) => void
}

/**
 * Copies delivered at once: a held write goes on once no copy of the group is still working
 * (each has answered or is held), one at a time, withdrawals first, then in copy order.
 */
const concurrent = (count: number): Group => {
	const working = new Set(Array.from({ length: count }, (_, i) => i))
	const waiting: { index: number; rank: number; go: () => void }[] = []
	const next = () => {
		if (working.size > 0) return
		waiting.sort((a, b) => a.rank - b.rank || a.index - b.index)
		const first = waiting.shift()
		if (first === undefined) return
		working.add(first.index)
		first.go()
	}
	return {
		held: (index, write) =>
			new Promise<void>((go) => {
				working.delete(index)
				waiting.push({ index, rank: write === 'withdrawal' ? 0 : 1, go })
				next()
			}),
		answered: (index) => {
			working.delete(index)
			next()
		},
	}
}

const isFaulted = (c: Copy) => c.clientFault !== 'none' || c.dynamoFault !== null

describe('replay store under random deliveries and DynamoDB faults', () => {
	it('keeps the README contract: at most once unless released, a withdrawn 503 is retried, never a 500', async () => {
		// Every container ever built, for `land()`.
		let containers: Container[] = []

		const deliver = async (
			event: unknown,
			c: Copy,
			release: boolean,
			clock: ReturnType<typeof fakeClock>,
			group: Group,
			index: number,
		): Promise<Observed> => {
			const observed: Observed = {
				status: 0,
				runs: 0,
				claimWrites: [],
				releaseWrites: [],
				claimMayLand: false,
			}
			let inHandler = false
			const inject = () => {
				if (c.dynamoFault)
					table.faults.inject(c.dynamoFault.fault, {
						target: 'UpdateItem',
						times: c.dynamoFault.times,
					})
			}
			const app = table.application({
				clock,
				releaseReplayOnServerError: release,
				handle: async () => {
					inHandler = true
					if (c.handlerMs > 0) await new Promise((resolve) => setTimeout(resolve, c.handlerMs))
					if (c.handler === 'ok') return undefined
					if (c.dynamoFault?.at === 'release') inject()
					if (c.handler === 'throws-502') throw statusError()
					return { statusCode: 502, body: 'Bad Gateway' }
				},
			})
			const container = app.container(c.maxAttempts)
			containers.push(container)
			const { client } = container
			// Each write as the store sees it (after the SDK's retries).
			client.middlewareStack.add(
				(next) => async (args) => {
					const writes = inHandler ? observed.releaseWrites : observed.claimWrites
					try {
						const result = await next(args)
						writes.push('ok')
						return result
					} catch (error) {
						writes.push(
							(error as Error).name === 'ConditionalCheckFailedException' ? 'condition' : 'error',
						)
						throw error
					}
				},
				{ step: 'initialize', name: 'observeWrites' },
			)
			// Each attempt (below the SDK's retries, above the helper's faults, which are 'low'): the
			// helper's timeouts are claim writes applied with their answer lost, or held by DynamoDB.
			client.middlewareStack.add(
				(next) => async (args) => {
					try {
						return await next(args)
					} catch (error) {
						if ((error as Error).name === 'TimeoutError') observed.claimMayLand = true
						throw error
					}
				},
				{ step: 'finalizeRequest', priority: 'normal', name: 'observeAttempts' },
			)
			if (c.clientFault === 'lose') container.loseNextClaim()
			if (c.clientFault === 'stall' || c.clientFault === 'stall-landing-after-withdrawal')
				container.stallClaims(c.maxAttempts === 2 && c.stallBoth ? 2 : 1, {
					landAfterWithdrawal: c.clientFault === 'stall-landing-after-withdrawal',
				})
			const at = c.dynamoFault?.at
			if (at === 'claim') inject()
			for (const write of ['withdrawal', 'remembering'] as const) {
				const held = c.hold?.at === write
				if (at !== write && !held) continue
				const gate = container.gateNext(write)
				void gate.reached.then(async () => {
					if (held) {
						await group.held(index, write)
						if (c.hold?.landFirst) await landAll()
					}
					if (at === write) inject()
					gate.open()
				})
			}
			try {
				observed.status = await container.send(event)
			} finally {
				group.answered(index)
			}
			observed.runs = app.runs
			return observed
		}

		const landAll = async () => {
			await Promise.all(containers.map((c) => c.land()))
		}

		await fc.assert(
			fc.asyncProperty(
				fc.boolean(),
				fc.array(step, { minLength: 1, maxLength: 8 }),
				async (release, steps) => {
					const clock = fakeClock()
					// Fresh messages (their bodies are numbered): no run meets another's records.
					const events = Array.from({ length: messages }, () => delivery(clock))
					const model = events.map(() => ({
						state: 'free' as State,
						runs: 0,
						processed: 0,
						released: 0,
					}))

					const check = async (message: number, copies: Copy[]) => {
						const m = model[message]
						const event = events[message]
						if (m === undefined || event === undefined) throw new Error('no such message')
						const before = m.state
						const group = concurrent(copies.length)
						const results = await Promise.all(
							copies.map((c, i) => deliver(event, c, release, clock, group, i)),
						)
						table.faults.clear()
						const faulted = copies.some(isFaulted)
						const dynamoHealthy = copies.every((c) => c.dynamoFault === null)
						const context = JSON.stringify({ before, copies, results })
						results.forEach((r, i) => {
							const c = copies[i] as Copy
							// Never a 500; a 503 or a 401 never ran the handler.
							expect([200, 401, 502, 503], context).toContain(r.status)
							expect(r.runs, context).toBe(r.status === 200 || r.status === 502 ? 1 : 0)
							if (r.status === 200) expect(c.handler, context).toBe('ok')
							if (r.status === 502) expect(c.handler, context).not.toBe('ok')
							// A standing claim refuses every later delivery.
							if (before === 'refused') expect([401, 503], context).toContain(r.status)
							if (before === 'refused' && !faulted) expect(r.status, context).toBe(401)
							// Only a fault fails a write (the claim's own: a lost or held answer).
							if (dynamoHealthy) {
								expect(r.claimWrites.slice(1), context).not.toContain('error')
								expect(r.releaseWrites, context).not.toContain('error')
							}
							// A 5xx is released (and, DynamoDB healthy, the release succeeds).
							if (release && r.status === 502) {
								expect(r.releaseWrites.length, context).toBeGreaterThan(0)
								if (!faulted) expect(r.releaseWrites, context).toEqual(['ok'])
							}
						})
						if (before === 'free' && copies.length === 1) {
							const [r] = results as [Observed]
							// No claim stands: never refused as a replay, and processed when healthy.
							expect(r.status, context).not.toBe(401)
							if (!faulted) expect(r.runs, context).toBe(1)
						}
						if (before === 'free' && !faulted)
							expect(
								results.some((r) => r.runs === 1),
								context,
							).toBe(true)

						m.runs += results.reduce((sum, r) => sum + r.runs, 0)
						m.processed += results.filter((r) => r.status === 200).length
						m.released += results.filter(
							(r) => release && r.status === 502 && r.releaseWrites.at(-1) === 'ok',
						).length
						// At most once, plus once more per release after a 5xx.
						expect(m.processed, context).toBeLessThanOrEqual(1)
						expect(m.runs, context).toBeLessThanOrEqual(1 + m.released)

						const stands = results.some(
							(r) =>
								r.status === 200 ||
								(r.status === 502 && (!release || r.releaseWrites.at(-1) !== 'ok')),
						)
						// A claim that may have landed, with DynamoDB failing after it (its withdrawal).
						const unwithdrawn = results.some(
							(r) => r.claimMayLand && r.claimWrites.slice(1).includes('error'),
						)
						if (stands) m.state = 'refused'
						else if (unwithdrawn && m.state === 'free') m.state = 'uncertain'
						return results
					}

					for (const s of steps) {
						clock.advance(2_000) // the sender's Retry-After, well within the tolerance
						if (s.kind === 'land') await landAll()
						else await check(s.message, s.copies)
					}
					// DynamoDB is healthy again and has applied every write it held: each sender retries.
					await landAll()
					for (let message = 0; message < messages; message++) {
						clock.advance(5_000)
						const state = model[message]?.state
						const [retry] = await check(message, [healthy])
						if (state === 'free') expect(retry?.status).toBe(200)
						// A processed message is refused from then on, within the tolerance.
						if (retry?.status === 200) {
							const [duplicate] = await check(message, [healthy])
							expect(duplicate?.status).toBe(401)
						}
					}
					await landAll()
					for (const container of containers) container.client.destroy()
					containers = []
				},
			),
			{ numRuns: 30 },
		)
	}, 120_000)
})
