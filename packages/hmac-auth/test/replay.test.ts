import { createHmac } from 'node:crypto'
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, type LocalDynamoDb, lambdaContext, startDynamoDb } from '@tenantry/testing'
import { HttpError, serviceUnavailable } from '@tenantry/util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	type CustomScheme,
	dynamoReplayStore,
	type HmacAuthOptions,
	hmacAuth,
	signRequest,
} from '../src/index.js'
import {
	fakeClock,
	harness,
	lastReason,
	signedEvent,
	unauthorizedResponse,
	unavailableResponse,
} from './helpers.js'

let dynamodb: LocalDynamoDb
let client: DynamoDBClient
const tableName = 'replay'

beforeAll(async () => {
	dynamodb = await startDynamoDb()
	client = dynamodb.client({ maxAttempts: 1 })
	await dynamodb.createTable(tableName, { ttlAttribute: 'expiresAt' })
	await dynamodb.createTable('replay-pk-only', { sortKey: null })
})
afterAll(() => dynamodb.stop())
// Records outlive each test in the shared table: every test signs a body of its own.
let body = ''
let counter = 0
beforeEach(() => {
	dynamodb.faults.clear()
	dynamodb.clearRequests()
	body = JSON.stringify({ transfer: 100, test: ++counter })
})
const secrets = async (tenantId: string) => `${tenantId}-secret`

/** One "container": its own middleware instance, cache and clock, sharing only the table. */
const container = (clock: ReturnType<typeof fakeClock>, extra: HmacAuthOptions = {}) =>
	harness({
		secrets,
		now: clock.now,
		replayStore: dynamoReplayStore({ tableName, client }),
		...extra,
	})

const claims = () => dynamodb.requests.filter((request) => request.operation === 'UpdateItem')

interface ClaimInput {
	Key: Record<string, { S?: string }>
	UpdateExpression: string
	ConditionExpression: string
	ExpressionAttributeNames: Record<string, string>
	ExpressionAttributeValues: Record<string, { S?: string; N?: string }>
}

/** This test's body as acme signs it at `clock`'s time. */
const signedByAcme = (clock: ReturnType<typeof fakeClock>) =>
	signedEvent({ secret: 'acme-secret', body, tenantId: 'acme', timestamp: clock.date() })

/** A delivery acme signs now, accepted by `h`, and the key of the replay record it wrote. */
const acceptedDelivery = async (
	h: ReturnType<typeof container>,
	clock: ReturnType<typeof fakeClock>,
) => {
	const event = signedByAcme(clock)
	expect((await h.handler(event)).statusCode).toBe(200)
	const input = claims()[0]?.input as unknown as ClaimInput
	return { event, key: { pk: input.Key.pk as { S: string }, sk: input.Key.sk as { S: string } } }
}

describe('dynamoReplayStore', () => {
	it('rejects the second delivery of a request in another container', async () => {
		const clock = fakeClock()
		const [first, second] = [container(clock), container(clock)]
		const event = signedByAcme(clock)
		expect((await first.handler(event)).statusCode).toBe(200)
		expect(await second.handler(structuredClone(event))).toEqual(unauthorizedResponse())
		expect(lastReason(second)).toBe('hmac_replayed_request')
		expect(await first.handler(structuredClone(event))).toEqual(unauthorizedResponse())
		expect(second.seen).toEqual([])
	})

	it('refuses a replay with its one write, leaving the record as the first delivery wrote it', async () => {
		// Only a write the SDK retried may have landed late and needs withdrawing: a replay refused
		// on its first attempt must not cost more writes, nor add its token to withdrawnTokens
		// (whose 100 places a release of the genuine request needs).
		const clock = fakeClock()
		const h = container(clock)
		const { event, key } = await acceptedDelivery(h, clock)
		const before = await client.send(new GetItemCommand({ TableName: tableName, Key: key }))
		for (let i = 0; i < 3; i++)
			expect(await h.handler(structuredClone(event))).toEqual(unauthorizedResponse())
		expect(claims()).toHaveLength(4)
		const after = await client.send(new GetItemCommand({ TableName: tableName, Key: key }))
		expect(after.Item).toEqual(before.Item)
		expect(after.Item?.withdrawnTokens).toBeUndefined()
	})

	it('release forgets only the claim holding the record, not one refused as its replay', async () => {
		// A store used directly (or wrapped by the application) may be asked to release a claim
		// that lost: the accepted request's record must stay, or its replay gets through.
		const store = dynamoReplayStore({ tableName, client })
		const now = Math.floor(fakeClock().now() / 1000)
		const claim = (token: string) => ({
			tenantId: 'acme',
			id: createHmac('sha256', 'release').update(body).digest('hex'),
			expiresAt: now + 300,
			now,
			token,
		})
		expect(await store.claim(claim('accepted'))).toBe(true)
		expect(await store.claim(claim('replayed'))).toBe(false)
		await store.release?.(claim('replayed'))
		expect(await store.claim(claim('replayed-again'))).toBe(false)
		await store.release?.(claim('accepted'))
		expect(await store.claim(claim('retried'))).toBe(true)
	})

	it('lets exactly one of concurrent deliveries through', async () => {
		const clock = fakeClock()
		const containers = Array.from({ length: 5 }, () => container(clock))
		const event = signedByAcme(clock)
		const responses = await Promise.all(
			containers.flatMap((c) => [
				c.handler(structuredClone(event)),
				c.handler(structuredClone(event)),
			]),
		)
		expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(1)
		expect(responses.filter((response) => response.statusCode === 401)).toHaveLength(9)
	})

	it('stores a hash under the tenant key with a TTL of timestamp + tolerance, never the signature', async () => {
		const clock = fakeClock()
		const h = container(clock, { toleranceSec: 120 })
		const headers = signRequest({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		const timestamp = new Date(clock.now() - 30_000)
		const event = signedEvent({ secret: 'acme-secret', body, tenantId: 'acme', timestamp })
		expect((await h.handler(event)).statusCode).toBe(200)
		const input = claims()[0]?.input as unknown as ClaimInput
		expect(input.Key.pk?.S).toMatch(/^TENANT#acme#hmac-replay#[0-9a-f]{64}$/)
		expect(input.Key.sk?.S).toBe('hmac-replay')
		expect(input.ExpressionAttributeValues[':expiresAt']?.N).toBe(
			String((clock.now() - 30_000) / 1000 + 120),
		)
		expect(input.UpdateExpression).toBe('SET #expiresAt = :expiresAt, #token = :token')
		expect(input.ConditionExpression).toBe(
			'(attribute_not_exists(#pk) OR #expiresAt < :now OR #token = :token' +
				' OR (attribute_exists(#withdrawn) AND attribute_not_exists(#token)))' +
				' AND NOT contains(#withdrawn, :token)',
		)
		expect(input.ExpressionAttributeValues[':token']?.S).toMatch(/^[0-9a-f-]{36}$/)
		expect(JSON.stringify(input)).not.toContain(headers['x-signature'])
		expect(JSON.stringify(input)).not.toContain(event.headers['x-signature'])
		expect(dynamodb.timeToLive(tableName)).toBe('expiresAt')
	})

	it('treats an expired record as absent, since TTL deletion lags (and dynalite has none)', async () => {
		const clock = fakeClock()
		const h = container(clock)
		const { event, key } = await acceptedDelivery(h, clock)
		// Age the record as if its window had passed; the same request is then fresh again.
		await client.send(
			new PutItemCommand({
				TableName: tableName,
				Item: { ...key, expiresAt: { N: String(clock.now() / 1000 - 1) } },
			}),
		)
		expect((await h.handler(structuredClone(event))).statusCode).toBe(200)
		const stored = await client.send(new GetItemCommand({ TableName: tableName, Key: key }))
		expect(stored.Item?.expiresAt?.N).toBe(String(clock.now() / 1000 + 300))
	})

	it('records only requests whose signature verified', async () => {
		const clock = fakeClock()
		const h = container(clock)
		const event = signedEvent({ secret: 'wrong', body, tenantId: 'acme', timestamp: clock.date() })
		expect(await h.handler(event)).toEqual(unauthorizedResponse())
		expect(claims()).toEqual([])
		const good = signedByAcme(clock)
		expect((await h.handler(good)).statusCode).toBe(200)
	})

	it('keys records per tenant: the same content for two tenants is two requests', async () => {
		const clock = fakeClock()
		const h = container(clock)
		const shared = async () => 'same-secret'
		const both = container(clock, { secrets: shared })
		for (const tenantId of ['acme', 'globex']) {
			const event = signedEvent({ secret: 'same-secret', body, tenantId, timestamp: clock.date() })
			expect((await both.handler(event)).statusCode).toBe(200)
		}
		expect(h.seen).toEqual([])
	})

	it('identifies a request the same whichever of the tenant secrets signed it', async () => {
		const clock = fakeClock()
		const h = container(clock, { secrets: async () => ['new', 'old'] })
		const sign = { body, tenantId: 'acme', timestamp: clock.date() }
		expect((await h.handler(signedEvent({ ...sign, secret: 'new' }))).statusCode).toBe(200)
		expect(await h.handler(signedEvent({ ...sign, secret: 'old' }))).toEqual(unauthorizedResponse())
	})

	it.each([
		['throttle', { type: 'throttle' }],
		['server-error', { type: 'server-error' }],
		['access-denied', { type: 'access-denied' }],
		['malformed', { type: 'malformed' }],
		['down', { type: 'down' }],
	] as const)('%s: 503 with Retry-After, never accept-on-error', async (_, fault) => {
		const clock = fakeClock()
		const h = container(clock)
		dynamodb.faults.inject(fault, { target: 'UpdateItem' })
		const event = signedByAcme(clock)
		expect(await h.handler(event)).toEqual(unavailableResponse())
		expect(lastReason(h)).toBe('hmac_replay_store_unavailable')
		expect(h.seen).toEqual([])
	})

	it('supports a table without a sort key, other attribute names and a key prefix', async () => {
		const clock = fakeClock()
		const store = dynamoReplayStore({
			tableName: 'replay-pk-only',
			client,
			sortKey: null,
			keyPrefix: 'HMAC#',
			ttlAttribute: 'ttl',
		})
		const h = harness({ secrets, now: clock.now, replayStore: store })
		const event = signedByAcme(clock)
		expect((await h.handler(event)).statusCode).toBe(200)
		expect(await h.handler(structuredClone(event))).toEqual(unauthorizedResponse())
		const input = claims()[0]?.input as unknown as ClaimInput
		expect(Object.keys(input.Key)).toEqual(['pk'])
		expect(input.ExpressionAttributeNames['#expiresAt']).toBe('ttl')
		expect(input.Key.pk?.S).toMatch(/^HMAC#acme#hmac-replay#/)
	})

	it('validates its options at creation', () => {
		const bad: [unknown, RegExp][] = [
			[{ client }, /replayStore.tableName/],
			[{ tableName, client: {} }, /replayStore.client/],
			[{ tableName, client, sortKey: '' }, /replayStore.sortKey/],
			[{ tableName, client, ttlAttribute: 'pk' }, /replayStore.ttlAttribute/],
			[{ tableName, client, ttl: 'x' }, /replayStore.ttl' is not a known option/],
			[null, /replayStore' must be an object/],
		]
		for (const [options, message] of bad) {
			expect(() => dynamoReplayStore(options as never)).toThrow(message)
			expect(() => dynamoReplayStore(options as never)).toThrow(TypeError)
		}
		// An option given as undefined (an unset environment variable) takes its default.
		expect(() =>
			dynamoReplayStore({ tableName, client, keyPrefix: undefined, sortKey: undefined }),
		).not.toThrow()
	})
})

describe('replay protection with Standard Webhooks', () => {
	const whsec = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

	it('rejects the same message again, accepts a retry the sender re-signed with a new timestamp', async () => {
		const clock = fakeClock()
		const options = { scheme: 'standard-webhooks', secrets: async () => whsec } as const
		const [first, second] = [container(clock, options), container(clock, options)]
		const sign = {
			scheme: 'standard-webhooks',
			secret: whsec,
			body,
			tenantId: 'acme',
			id: 'msg_1',
		} as const
		const event = signedEvent({ ...sign, timestamp: clock.date() })
		expect((await first.handler(event)).statusCode).toBe(200)
		expect(await second.handler(structuredClone(event))).toEqual(
			unauthorizedResponse('Standard-Webhooks realm="api"'),
		)
		clock.advance(30_000)
		const retry = signedEvent({ ...sign, timestamp: clock.date() })
		expect((await second.handler(retry)).statusCode).toBe(200)
	})
})

describe('a request that fails after its claim', () => {
	/** A container whose handler answers as `downstream` says, like a handler that writes elsewhere. */
	const failingContainer = (
		clock: ReturnType<typeof fakeClock>,
		downstream: () => unknown,
		releaseReplayOnServerError = true,
	) =>
		middy(async () => {
			const outcome = downstream()
			if (outcome instanceof Error) throw outcome
			return outcome ?? { statusCode: 200, body: 'stored' }
		})
			.use(httpErrorHandler({ logger: false }))
			.use(
				hmacAuth({
					secrets,
					now: clock.now,
					replayStore: dynamoReplayStore({ tableName, client }),
					releaseReplayOnServerError,
				}),
			)

	const sender = (
		handler: ReturnType<typeof failingContainer>,
		clock: ReturnType<typeof fakeClock>,
	) => {
		const event = signedByAcme(clock)
		return async () =>
			((await handler(structuredClone(event), lambdaContext())) as { statusCode: number })
				.statusCode
	}

	it('stays claimed by default: a replay never runs the handler again, whatever it answered', async () => {
		const clock = fakeClock()
		let runs = 0
		const handler = failingContainer(
			clock,
			() => {
				runs++
				return new Error('failed after its side effect')
			},
			false,
		)
		const send = sender(handler, clock)
		expect([await send(), await send(), await send()]).toEqual([500, 401, 401])
		expect(runs).toBe(1)
	})

	it('with releaseReplayOnServerError, is processed when retried unchanged after a thrown or returned 5xx', async () => {
		const clock = fakeClock()
		let outcome: unknown = serviceUnavailable(5)
		const send = sender(
			failingContainer(clock, () => outcome),
			clock,
		)
		expect(await send()).toBe(503)
		outcome = new Error('the handler crashed')
		expect(await send()).toBe(500)
		outcome = { statusCode: 503, headers: { 'Retry-After': '5' }, body: 'database down' }
		expect(await send()).toBe(503)
		outcome = undefined
		clock.advance(5_000)
		expect(await send()).toBe(200)
		expect(await send()).toBe(401)
	})

	it('with releaseReplayOnServerError, stays claimed after a 4xx, which a retry would get again', async () => {
		const clock = fakeClock()
		const send = sender(
			failingContainer(clock, () => new HttpError(422)),
			clock,
		)
		expect([await send(), await send()]).toEqual([422, 401])
	})

	it('with releaseReplayOnServerError, keeps the claim of an error an inner onError answered 202', async () => {
		const clock = fakeClock()
		let runs = 0
		const handler = failingContainer(clock, () => {
			runs++
			return new Error('downstream failed after its side effect')
		}).use({
			// A fallback that queues the event (sets the response, returns nothing).
			onError: (request) => {
				if ((request.error as { statusCode?: number }).statusCode === undefined)
					request.response = { statusCode: 202, body: 'queued' }
			},
		})
		const send = sender(handler, clock)
		expect([await send(), await send()]).toEqual([202, 401])
		expect(runs).toBe(1)
	})

	it('refuses releaseReplayOnServerError without a store that can release', () => {
		expect(() =>
			hmacAuth({
				secrets,
				replayStore: { claim: async () => true },
				releaseReplayOnServerError: true,
			}),
		).toThrow(/releaseReplayOnServerError/)
		expect(() => hmacAuth({ secrets, releaseReplayOnServerError: true })).toThrow(
			/releaseReplayOnServerError/,
		)
	})
})

describe('replay protection without a timestamp (a custom scheme)', () => {
	const unsigned: CustomScheme = {
		canonicalize: ({ header, body: content }) => {
			const signature = header('x-hub-signature-256')
			if (!signature?.startsWith('sha256=')) return undefined
			return { signatures: [signature.slice(7)], content }
		},
		encoding: 'hex',
		requireTimestamp: false,
	}

	it('remembers a request for replayRetentionSec, not only the timestamp tolerance', async () => {
		const clock = fakeClock()
		const h = container(clock, { scheme: unsigned, replayRetentionSec: 3_600 })
		const captured = httpApiEvent({
			method: 'POST',
			body,
			headers: {
				'x-hub-signature-256': `sha256=${createHmac('sha256', 'acme-secret').update(body).digest('hex')}`,
				'x-tenant-id': 'acme',
			},
		})
		expect((await h.handler(structuredClone(captured))).statusCode).toBe(200)
		clock.advance(10 * 60_000)
		expect((await h.handler(structuredClone(captured))).statusCode).toBe(401)
		clock.advance(3_600_000)
		expect((await h.handler(structuredClone(captured))).statusCode).toBe(200)
	})
})
