import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { type LocalDynamoDb, lambdaContext, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoReplayStore, hmacAuth } from '../src/index.js'
import { fakeClock, signedEvent } from './helpers.js'

// Two containers receive the same delivery at once (the sender's own duplicate, or its re-send
// after its HTTP timeout while the first is still being handled). Both claims fail (503), so no
// handler ran, and the claim of one is applied by DynamoDB after its client gave up, as in
// replay-late-write.test.ts. The withdrawal of that claim runs while the other claim's write
// holds the record: its token must still reach `withdrawnTokens`, or, once the other claim is
// withdrawn (or released), the late write would hold the record and the sender's identical retry
// would be refused as a replay although no handler ever completed.

let dynamodb: LocalDynamoDb
const tableName = 'replay-concurrent-withdraw'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())

let counter = 0
let body = ''
beforeEach(() => {
	body = JSON.stringify({ transfer: 100, concurrent: ++counter })
})

const timeout = () =>
	Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: {} })

const updateOf = (input: unknown): string =>
	(input as { UpdateExpression?: string }).UpdateExpression ?? ''
const isClaim = (input: unknown) => updateOf(input).includes('#token = :token')
const isWithdraw = (input: unknown) =>
	updateOf(input).startsWith('SET #expiresAt = :expiresAt REMOVE')

/**
 * A container's client (no SDK retries, so one lost answer is the claim's failure):
 * - `loseNextClaim`: DynamoDB applies the next claim's write, and its answer is lost;
 * - `stallNextClaim`: DynamoDB holds the next claim's write until `land()`, the client times out;
 * - `gateNextWithdraw`: the next withdrawal reaches DynamoDB only once `open()` is called.
 */
const container = (
	clock: ReturnType<typeof fakeClock>,
	handle: () => Promise<void>,
	release = false,
) => {
	const client: DynamoDBClient = dynamodb.client({ maxAttempts: 1 })
	let lose = false
	let stall = false
	let gate: { reached: () => void; opened: Promise<void> } | undefined
	const held: (() => Promise<unknown>)[] = []
	client.middlewareStack.add(
		(next) => async (args) => {
			if (isClaim(args.input) && stall) {
				stall = false
				held.push(() => next(args))
				throw timeout()
			}
			if (isClaim(args.input) && lose) {
				lose = false
				await next(args)
				throw timeout()
			}
			if (isWithdraw(args.input) && gate) {
				const { reached, opened } = gate
				gate = undefined
				reached()
				await opened
			}
			return next(args)
		},
		{ step: 'finalizeRequest', priority: 'low', name: 'containerDynamoDb' },
	)
	const handler = middy(async () => {
		await handle()
		return { statusCode: 200, body: 'stored' }
	})
		.use(httpErrorHandler({ logger: false }))
		.use(
			hmacAuth({
				secrets: async () => 'acme-secret',
				now: clock.now,
				replayStore: dynamoReplayStore({ tableName, client }),
				releaseReplayOnServerError: release,
			}),
		)
	return {
		send: async (event: unknown) =>
			((await handler(structuredClone(event), lambdaContext())) as { statusCode: number })
				.statusCode,
		loseNextClaim: () => {
			lose = true
		},
		stallNextClaim: () => {
			stall = true
		},
		gateNextWithdraw: () => {
			let reached!: () => void
			let open!: () => void
			const reachedP = new Promise<void>((resolve) => (reached = resolve))
			const opened = new Promise<void>((resolve) => (open = resolve))
			gate = { reached, opened }
			return { reached: reachedP, open }
		},
		land: async () => {
			for (const write of held.splice(0)) await write().catch((error: unknown) => error)
		},
	}
}

describe('two containers, the same delivery at once, both claims fail', () => {
	it("a late claim whose withdrawal met the other claim's record does not refuse the sender's retry", async () => {
		const clock = fakeClock()
		let runs = 0
		const handle = async () => {
			runs++
		}
		const one = container(clock, handle)
		const two = container(clock, handle)
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})

		one.loseNextClaim() // claim A lands, its answer is lost
		const gate = one.gateNextWithdraw()
		const first = one.send(event)
		await gate.reached // A's withdrawal is on its way; the record is A's
		two.stallNextClaim() // claim B is held by DynamoDB, the client times out
		expect(await two.send(event)).toBe(503) // B's withdrawal: the record is A's, condition fails
		gate.open()
		expect(await first).toBe(503) // A withdrawn: the record only remembers A
		expect(runs).toBe(0)
		await two.land() // DynamoDB applies B's write late: B is not among the withdrawn tokens

		clock.advance(5_000) // Retry-After
		expect(await one.send(event)).toBe(200) // no handler ran: must be processed
		expect(runs).toBe(1)
	})

	it("releaseReplayOnServerError: a duplicate's late claim landing after the release does not refuse the retry", async () => {
		const clock = fakeClock()
		let runs = 0
		let inHandler!: () => void
		const entered = new Promise<void>((resolve) => (inHandler = resolve))
		let failNow!: () => void
		const failing = new Promise<void>((resolve) => (failNow = resolve))
		let fail = true
		const handle = async () => {
			runs++
			if (!fail) return
			inHandler()
			await failing
			throw new Error('the database is down')
		}
		const one = container(clock, handle, true)
		const two = container(clock, handle, true)
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})

		const first = one.send(event) // claim A succeeds; the handler is running
		await entered
		two.stallNextClaim() // the duplicate's claim B is held by DynamoDB, the client times out
		expect(await two.send(event)).toBe(503) // B's withdrawal: the record is A's, condition fails
		failNow()
		expect(await first).toBe(500) // 5xx: A released
		await two.land() // DynamoDB applies B's write late
		fail = false

		clock.advance(5_000)
		// README: "the sender's identical retry after `Retry-After` is processed (at least once)"
		expect(await one.send(event)).toBe(200)
		expect(runs).toBe(2)
	})
})
