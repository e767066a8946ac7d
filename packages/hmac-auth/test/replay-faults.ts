import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import {
	type FaultControl,
	type LocalDynamoDb,
	lambdaContext,
	startDynamoDb,
} from '@tenantry/testing'
import { afterAll, beforeAll } from 'vitest'
import { dynamoReplayStore, hmacAuth, type ReplayStore } from '../src/index.js'
import { type fakeClock, signedEvent } from './helpers.js'

// The replay tests' DynamoDB faults. A request timeout is the client giving up, not DynamoDB:
// the write it sent may still be applied, or was applied and its answer lost. An SDK middleware
// (finalizeRequest, so below the SDK's retries: each attempt is one request) holds, loses or
// delays the store's writes, so that each ordering the store must survive is played out against
// a local DynamoDB rather than a mocked one.

type Clock = ReturnType<typeof fakeClock>

const timeout = () =>
	Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: {} })

type StoreWrite = 'claim' | 'withdrawal' | 'remembering'

/**
 * Which of the store's writes a request is, by its update expression (src/replay-store.ts): a
 * claim sets the token, a withdrawal removes it, and a remembering adds a claim's token to the
 * withdrawn ones while another claim holds the record.
 */
const storeWriteOf = (input: unknown): StoreWrite | undefined => {
	const update = (input as { UpdateExpression?: string }).UpdateExpression ?? ''
	if (update.includes('#token = :token')) return 'claim'
	if (update.startsWith('SET #expiresAt = :expiresAt REMOVE')) return 'withdrawal'
	if (update.includes('if_not_exists(#expiresAt')) return 'remembering'
	return undefined
}

/** A write held back by the test: `reached` once it is on its way, sent on `open()`. */
export interface Gate {
	reached: Promise<void>
	open: () => void
}

/** A `dynamoReplayStore` whose client's next writes fail as the test arms them. */
export interface FaultyStore {
	store: ReplayStore
	client: DynamoDBClient
	/** DynamoDB applies the next claim's write, and its answer is lost. */
	loseNextClaim: () => void
	/**
	 * DynamoDB holds the next `count` claim writes (one per SDK attempt) while the client times
	 * out; they land on `land()`, or as soon as the store's next withdrawal has been answered.
	 */
	stallClaims: (count?: number, options?: { landAfterWithdrawal?: boolean }) => void
	/** The next write of that kind reaches DynamoDB only once the gate is opened. */
	gateNext: (write: Exclude<StoreWrite, 'claim'>) => Gate
	/** DynamoDB applies the held claim writes, oldest first (and those already landing finish). */
	land: () => Promise<void>
}

const faultyStore = (client: DynamoDBClient, tableName: string): FaultyStore => {
	let lose = false
	let stalls = 0
	let landAfterWithdrawal = false
	const gates = new Map<StoreWrite, { reached: () => void; opened: Promise<void> }>()
	const held: (() => Promise<unknown>)[] = []
	let landing: Promise<unknown> = Promise.resolve()
	const landHeld = () => {
		for (const write of held.splice(0))
			landing = landing.then(() => write().catch((error: unknown) => error))
		return landing
	}
	client.middlewareStack.add(
		(next) => async (args) => {
			const write = storeWriteOf(args.input)
			if (write === 'claim' && stalls > 0) {
				stalls--
				held.push(() => next(args))
				throw timeout()
			}
			if (write === 'claim' && lose) {
				lose = false
				await next(args)
				throw timeout()
			}
			const gate = write && gates.get(write)
			if (write && gate) {
				gates.delete(write)
				gate.reached()
				await gate.opened
			}
			try {
				return await next(args)
			} finally {
				if (write === 'withdrawal' && landAfterWithdrawal) void landHeld()
			}
		},
		{ step: 'finalizeRequest', priority: 'low', name: 'replayFaults' },
	)
	return {
		store: dynamoReplayStore({ tableName, client }),
		client,
		loseNextClaim: () => {
			lose = true
		},
		stallClaims: (count = 1, options = {}) => {
			stalls = count
			landAfterWithdrawal = options.landAfterWithdrawal ?? false
		},
		gateNext: (write) => {
			let reached!: () => void
			let open!: () => void
			const reachedP = new Promise<void>((resolve) => (reached = resolve))
			const opened = new Promise<void>((resolve) => (open = resolve))
			gates.set(write, { reached, opened })
			return { reached: reachedP, open }
		},
		land: async () => {
			await landHeld()
		},
	}
}

let deliveries = 0
/** acme's signed request; each delivery has its own body, so tests never share a replay record. */
export const delivery = (clock: Clock) =>
	signedEvent({
		secret: 'acme-secret',
		body: JSON.stringify({ transfer: 100, delivery: ++deliveries }),
		tenantId: 'acme',
		timestamp: clock.date(),
	})

export interface ApplicationOptions {
	clock: Clock
	/**
	 * The handler's work, besides counting its runs: it may wait, throw to answer 500 (or the
	 * status of an exposed HTTP error), or return a response of its own (`{ statusCode }`).
	 */
	handle?: () => unknown
	releaseReplayOnServerError?: boolean
	/** How the application wraps the store (a metrics decorator), if it does. */
	wrapStore?: (store: ReplayStore) => ReplayStore
}

/** One Lambda container of the application, with the faults of its own store's client. */
export interface Container extends FaultyStore {
	/** Handles a copy of the event, as each delivery is one, and answers its status code. */
	send: (event: unknown) => Promise<number>
}

/**
 * A local DynamoDB with the replay table `tableName`, for the file's tests (started once, before
 * them). `application(options)` is acme's handler behind `hmacAuth`, as users run it: each of
 * its containers has its own store, its client making `maxAttempts` SDK attempts per write, and
 * `runs` counts the handler's runs in all of them. `faults` is the endpoint's own fault
 * injection (`@tenantry/testing`), for every client of the table.
 */
export const replayTable = (tableName: string) => {
	let dynamodb: LocalDynamoDb
	beforeAll(async () => {
		dynamodb = await startDynamoDb()
		await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
	})
	afterAll(() => dynamodb.stop())
	const application = ({
		clock,
		handle = () => undefined,
		releaseReplayOnServerError,
		wrapStore = (store) => store,
	}: ApplicationOptions) => {
		let runs = 0
		const container = (maxAttempts: number): Container => {
			const faults = faultyStore(dynamodb.client({ maxAttempts }), tableName)
			const handler = middy(async () => {
				runs++
				const answer = await handle()
				return typeof (answer as { statusCode?: unknown } | undefined)?.statusCode === 'number'
					? answer
					: { statusCode: 200, body: 'stored' }
			})
				.use(httpErrorHandler({ logger: false }))
				.use(
					hmacAuth({
						secrets: async () => 'acme-secret',
						now: clock.now,
						replayStore: wrapStore(faults.store),
						releaseReplayOnServerError,
					}),
				)
			const send = async (event: unknown) =>
				((await handler(structuredClone(event), lambdaContext())) as { statusCode: number })
					.statusCode
			return { ...faults, send }
		}
		return {
			container,
			get runs() {
				return runs
			},
		}
	}
	return {
		application,
		get faults(): FaultControl {
			return dynamodb.faults
		},
	}
}

/**
 * Claim A of `container` lands, its answer is lost, and its withdrawal waits: once this resolves,
 * the record is A's until `withdraw()`, so another container's claim meets it; `answer` is A's.
 */
export const recordHeldByLostClaim = async (container: Container, event: unknown) => {
	container.loseNextClaim()
	const gate = container.gateNext('withdrawal')
	const answer = container.send(event)
	await gate.reached
	return { answer, withdraw: gate.open }
}
