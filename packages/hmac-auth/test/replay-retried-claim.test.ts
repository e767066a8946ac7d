import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { type LocalDynamoDb, lambdaContext, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dynamoReplayStore, hmacAuth } from '../src/index.js'
import { fakeClock, signedEvent } from './helpers.js'

// The README's replay client (maxAttempts 2): a claim's first attempt times out on the client's
// side while DynamoDB still holds it, and the SDK's retry meets another claim's record, so the
// claim answers "replay" (401) without withdrawing anything. That other claim is then withdrawn
// (its own write failed: 503, no handler ran). The first attempt, applied late, must not hold
// the record: the sender's identical retry the 503 invites must be processed.

let dynamodb: LocalDynamoDb
const tableName = 'replay-retried-claim'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())

const timeout = () =>
	Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: {} })
const updateOf = (input: unknown): string =>
	(input as { UpdateExpression?: string }).UpdateExpression ?? ''
const isClaim = (input: unknown) => updateOf(input).includes('#token = :token')
const isWithdraw = (input: unknown) =>
	updateOf(input).startsWith('SET #expiresAt = :expiresAt REMOVE')
const isRemember = (input: unknown) => updateOf(input).includes('if_not_exists(#expiresAt')

const container = (
	clock: ReturnType<typeof fakeClock>,
	maxAttempts: number,
	handle: () => void,
) => {
	const client: DynamoDBClient = dynamodb.client({ maxAttempts })
	let lose = false
	let stall = false
	let gate: { reached: () => void; opened: Promise<void> } | undefined
	let rememberGate: { reached: () => void; opened: Promise<void> } | undefined
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
			if (isRemember(args.input) && rememberGate) {
				const { reached, opened } = rememberGate
				rememberGate = undefined
				reached()
				await opened
			}
			return next(args)
		},
		{ step: 'finalizeRequest', priority: 'low', name: 'containerDynamoDb' },
	)
	const handler = middy(async () => {
		handle()
		return { statusCode: 200, body: 'stored' }
	})
		.use(httpErrorHandler({ logger: false }))
		.use(
			hmacAuth({
				secrets: async () => 'acme-secret',
				now: clock.now,
				replayStore: dynamoReplayStore({ tableName, client }),
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
		gateNextRemember: () => {
			let reached!: () => void
			let open!: () => void
			const reachedP = new Promise<void>((resolve) => (reached = resolve))
			const opened = new Promise<void>((resolve) => (open = resolve))
			rememberGate = { reached, opened }
			return { reached: reachedP, open }
		},
		land: async () => {
			for (const write of held.splice(0)) await write().catch((error: unknown) => error)
		},
	}
}

describe("a claim whose SDK retry met another claim's record", () => {
	it("its first attempt, applied late, does not refuse the sender's retry (no handler ran)", async () => {
		const clock = fakeClock()
		let runs = 0
		const handle = () => {
			runs++
		}
		const one = container(clock, 1, handle)
		const two = container(clock, 2, handle) // the README's client
		const event = signedEvent({
			secret: 'acme-secret',
			body: JSON.stringify({ transfer: 100, retried: 1 }),
			tenantId: 'acme',
			timestamp: clock.date(),
		})

		one.loseNextClaim() // claim A lands, its answer is lost
		const gate = one.gateNextWithdraw()
		const first = one.send(event)
		await gate.reached // the record is A's while A's withdrawal is on its way
		two.stallNextClaim() // B's first attempt is held by DynamoDB; the SDK retries
		expect(await two.send(event)).toBe(401) // B's retry meets A's record: a replay, at that time
		gate.open()
		expect(await first).toBe(503) // A withdrawn
		expect(runs).toBe(0)
		await two.land() // DynamoDB applies B's first attempt late

		clock.advance(5_000) // Retry-After of A's 503
		// README: "The handler never ran, so the sender's identical retry must be processed, while
		// the claim's own write, which DynamoDB may still apply after the client gave up on it,
		// must not land later and refuse that retry"
		expect(await one.send(event)).toBe(200)
		expect(runs).toBe(1)
	})

	it('a late claim landing between its failed withdrawal and its remembering does not refuse the retry', async () => {
		const clock = fakeClock()
		let runs = 0
		const handle = () => {
			runs++
		}
		const one = container(clock, 1, handle)
		const two = container(clock, 1, handle)
		const event = signedEvent({
			secret: 'acme-secret',
			body: JSON.stringify({ transfer: 100, retried: 2 }),
			tenantId: 'acme',
			timestamp: clock.date(),
		})

		one.loseNextClaim() // claim A lands, its answer is lost
		const gateA = one.gateNextWithdraw()
		const first = one.send(event)
		await gateA.reached // the record is A's while A's withdrawal is on its way
		two.stallNextClaim() // B's write is held by DynamoDB, the client times out
		const gateB = two.gateNextRemember()
		const second = two.send(event) // B's withdrawal meets A's record: B is to be remembered
		await gateB.reached
		gateA.open()
		expect(await first).toBe(503) // A withdrawn: the record holds no claim
		await two.land() // DynamoDB applies B's write now, before B's token is remembered
		gateB.open()
		expect(await second).toBe(503)
		expect(runs).toBe(0)

		clock.advance(5_000) // Retry-After
		expect(await one.send(event)).toBe(200) // no handler ran: must be processed
		expect(runs).toBe(1)
	})
})
