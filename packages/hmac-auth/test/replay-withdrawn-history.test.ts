import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { type LocalDynamoDb, lambdaContext, startDynamoDb } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoReplayStore, hmacAuth } from '../src/index.js'
import { fakeClock, signedEvent } from './helpers.js'

// As replay-late-write.test.ts: DynamoDB may apply a claim's write after the client gave up on
// it. Every withdrawn (or released) claim's token is remembered with the record, not only the
// latest one's, so a late write of an earlier withdrawn claim cannot land either, and the
// identical retry, whose handler never ran (or failed with a 5xx under
// releaseReplayOnServerError), is processed rather than refused as a replay.

let dynamodb: LocalDynamoDb
const tableName = 'replay-withdrawn-history'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
})
afterAll(() => dynamodb.stop())

let counter = 0
let body = ''
beforeEach(() => {
	body = JSON.stringify({ transfer: 100, history: ++counter })
})

/**
 * A client whose next claim write (the update that sets `claimToken`) is held by DynamoDB while the
 * client times out; `land()` lets DynamoDB apply the held writes, oldest first.
 */
const stallingClient = () => {
	const client: DynamoDBClient = dynamodb.client({ maxAttempts: 1 })
	let stall = false
	const held: (() => Promise<unknown>)[] = []
	client.middlewareStack.add(
		(next) => async (args) => {
			const update = (args.input as { UpdateExpression?: string }).UpdateExpression ?? ''
			if (update.includes('#token = :token') && stall) {
				stall = false
				held.push(() => next(args))
				throw Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: {} })
			}
			return next(args)
		},
		{ step: 'finalizeRequest', priority: 'low', name: 'stallingDynamoDb' },
	)
	return {
		client,
		stallNext: () => {
			stall = true
		},
		land: async () => {
			for (const write of held.splice(0)) await write().catch((error: unknown) => error)
		},
	}
}

const container = (
	client: DynamoDBClient,
	clock: ReturnType<typeof fakeClock>,
	downstream: () => unknown,
) =>
	middy(async () => {
		const outcome = downstream()
		if (outcome instanceof Error) throw outcome
		return { statusCode: 200, body: 'stored' }
	})
		.use(httpErrorHandler({ logger: false }))
		.use(
			hmacAuth({
				secrets: async () => 'acme-secret',
				now: clock.now,
				replayStore: dynamoReplayStore({ tableName, client }),
				releaseReplayOnServerError: true,
			}),
		)

describe('withdrawn claims whose writes DynamoDB applies late', () => {
	it('two 503s in a row: the first claim landing after the second withdrawal does not refuse the next retry', async () => {
		const dynamo = stallingClient()
		const clock = fakeClock()
		let runs = 0
		const handler = container(dynamo.client, clock, () => {
			runs++
		})
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		const send = async () =>
			((await handler(structuredClone(event), lambdaContext())) as { statusCode: number })
				.statusCode

		dynamo.stallNext()
		expect(await send()).toBe(503) // claim A times out; withdrawn (record: withdrawnToken A)
		clock.advance(5_000) // Retry-After
		dynamo.stallNext()
		expect(await send()).toBe(503) // claim B times out; withdrawn (record: withdrawnToken B)
		expect(runs).toBe(0)
		await dynamo.land() // DynamoDB applies A's write, then B's
		clock.advance(5_000)
		expect(await send()).toBe(200) // the handler never ran: must be processed
		expect(runs).toBe(1)
	})

	it('releaseReplayOnServerError: an earlier withdrawn claim landing after the release does not refuse the retry', async () => {
		const dynamo = stallingClient()
		const clock = fakeClock()
		let runs = 0
		let fail = true
		const handler = container(dynamo.client, clock, () => {
			runs++
			return fail ? new Error('the handler crashed') : undefined
		})
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		const send = async () =>
			((await handler(structuredClone(event), lambdaContext())) as { statusCode: number })
				.statusCode

		dynamo.stallNext()
		expect(await send()).toBe(503) // claim A times out; withdrawn
		clock.advance(5_000)
		expect(await send()).toBe(500) // claim B passes the withdrawn record; 5xx: released
		fail = false
		await dynamo.land() // DynamoDB applies A's write: the key is free again, so it lands
		clock.advance(5_000)
		expect(await send()).toBe(200) // the retry the release exists for
		expect(runs).toBe(2)
	})
})
