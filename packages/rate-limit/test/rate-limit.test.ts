import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it, vi } from 'vitest'
import { dynamoRateLimitStore, memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { countStatuses, pipeline, tablePerTest } from './setup.js'

const local = tablePerTest('rate-limits')

const updates = () =>
	local.dynamodb.requests.filter((request) => request.operation === 'UpdateItem').length
const start = Date.UTC(2026, 10, 23, 10, 0, 0)

describe('tenantRateLimit with the DynamoDB store (dynalite)', () => {
	it('lets exactly `requests` through per window across three containers, whatever the interleaving', async () => {
		// 300 writes at once queue for the client's 50 sockets and in dynalite, which shares this
		// process (and, in CI, two cores with the other test files): on a loaded machine the last
		// ones take longer than the store's default 2 s timeout, and a timed-out write is a store
		// failure, allowed ('allow') without being counted. This test is about the conditional
		// write, not the timeout (store-deadline.test.ts): the store waits as long as the test may
		// run, and any store failure is reported as such rather than as a wrong count.
		const storeFailures: string[] = []
		const containers = Array.from({ length: 3 }, () =>
			pipeline(
				tenantRateLimit({
					limits: { requests: 120, windowSec: 60 },
					store: local.store({ timeoutMs: 15_000 }),
					now: () => start,
					logger: (line) => storeFailures.push(line),
				}),
			),
		)
		const results = await Promise.all(
			containers.flatMap((container) =>
				Array.from({ length: 100 }, () => container.invoke('acme')),
			),
		)
		expect(storeFailures).toEqual([])
		expect(countStatuses(results)).toEqual({ 200: 120, 429: 180 })
		expect(containers.reduce((sum, container) => sum + container.calls.handler, 0)).toBe(120)
		const { Item } = await local.client.send(
			new GetItemCommand({
				TableName: local.tableName,
				Key: { pk: { S: `TENANT#acme#RATE#${start / 1000}+60s` }, sk: { S: 'RATE' } },
			}),
		)
		expect(Item?.count).toEqual({ N: '120' })
		expect(Number(Item?.expiresAt?.N)).toBeGreaterThanOrEqual(start / 1000 + 60)
	})

	it('keeps tenants apart', async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 3, windowSec: 60 },
				store: local.store(),
				now: () => start,
			}),
		)
		const acme = await Promise.all(Array.from({ length: 5 }, () => invoke('acme')))
		const globex = await Promise.all(Array.from({ length: 3 }, () => invoke('globex')))
		expect(countStatuses(acme)).toEqual({ 200: 3, 429: 2 })
		expect(countStatuses(globex)).toEqual({ 200: 3 })
	})

	it('starts a fresh count when the window rolls over', async () => {
		let now = start + 59_000
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 2, windowSec: 60 },
				store: local.store(),
				now: () => now,
			}),
		)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(200)
		const limited = await invoke('acme')
		expect(limited.statusCode).toBe(429)
		expect(limited.headers['Retry-After']).toBe('1')
		now = start + 60_000
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).headers['RateLimit-Remaining']).toBe('0')
		expect((await invoke('acme')).statusCode).toBe(429)
	})

	it('answers 429 from memory once a container has seen the window exhausted', async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 5, windowSec: 60 },
				store: local.store(),
				now: () => start,
			}),
		)
		for (let i = 0; i < 5; i++) await invoke('acme')
		expect(updates()).toBe(5)
		const flood = await Promise.all(Array.from({ length: 50 }, () => invoke('acme')))
		expect(countStatuses(flood)).toEqual({ 429: 50 })
		expect(updates()).toBe(5)
	})

	it('costs one write per other container to learn the window is exhausted', async () => {
		const store = local.store()
		const first = pipeline(
			tenantRateLimit({ limits: { requests: 2, windowSec: 60 }, store, now: () => start }),
		)
		const second = pipeline(
			tenantRateLimit({ limits: { requests: 2, windowSec: 60 }, store, now: () => start }),
		)
		await first.invoke('acme')
		await first.invoke('acme')
		const before = updates()
		for (let i = 0; i < 20; i++) await second.invoke('acme')
		expect(updates() - before).toBe(1)
	})

	it('sets RateLimit headers on allowed and limited responses', async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 2, windowSec: 60 },
				store: local.store(),
				now: () => start + 15_500,
			}),
		)
		expect((await invoke('acme')).headers).toMatchObject({
			'RateLimit-Limit': '2',
			'RateLimit-Remaining': '1',
			'RateLimit-Reset': '45',
			'RateLimit-Policy': '2;w=60',
		})
		expect((await invoke('acme')).headers['RateLimit-Remaining']).toBe('0')
		const limited = await invoke('acme')
		expect(limited).toMatchObject({ statusCode: 429, body: 'Too Many Requests' })
		expect(limited.headers).toMatchObject({
			'RateLimit-Remaining': '0',
			'RateLimit-Reset': '45',
			'Retry-After': '45',
		})
	})

	it('gives requests that overlap in one container (Lambda Managed Instances) each their own headers', async () => {
		const overlapping = async () => {
			await new Promise((resolve) => setTimeout(resolve, 5))
			return { statusCode: 200, body: 'ok' }
		}
		const memory = pipeline(
			tenantRateLimit({
				limits: { requests: 5, windowSec: 60 },
				store: memoryRateLimitStore(),
				now: () => start,
			}),
			overlapping,
		)
		const inMemory = await Promise.all(Array.from({ length: 5 }, () => memory.invoke('acme')))
		expect(inMemory.map((result) => result.headers['RateLimit-Remaining'])).toEqual([
			'4',
			'3',
			'2',
			'1',
			'0',
		])
		const shared = pipeline(
			tenantRateLimit({
				limits: { requests: 5, windowSec: 60 },
				store: local.store(),
				now: () => start,
			}),
			overlapping,
		)
		const inDynamoDb = await Promise.all(Array.from({ length: 5 }, () => shared.invoke('acme')))
		expect(inDynamoDb.map((result) => result.headers['RateLimit-Remaining']).sort()).toEqual([
			'0',
			'1',
			'2',
			'3',
			'4',
		])
	})

	it('never hands the headers of a request whose handler failed to the next response', async () => {
		let calls = 0
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 5, windowSec: 60 },
				store: memoryRateLimitStore(),
				now: () => start,
			}),
			async () => {
				if (++calls === 1) throw new Error('handler failed')
				return { statusCode: 200, body: 'ok' }
			},
		)
		expect((await invoke('acme')).statusCode).toBe(500)
		expect((await invoke('acme')).headers['RateLimit-Remaining']).toBe('3')
		expect((await invoke('acme')).headers['RateLimit-Remaining']).toBe('2')
	})

	describe('when the store fails', () => {
		it("allows requests by default and logs once per window ('allow')", async () => {
			const logger = vi.fn()
			let now = start
			const { invoke, calls } = pipeline(
				tenantRateLimit({
					limits: { requests: 1, windowSec: 60 },
					store: local.store(),
					logger,
					now: () => now,
				}),
			)
			local.dynamodb.faults.inject({ type: 'server-error' })
			const results = await Promise.all(Array.from({ length: 5 }, () => invoke('acme')))
			expect(countStatuses(results)).toEqual({ 200: 5 })
			expect(calls.handler).toBe(5)
			expect(logger).toHaveBeenCalledTimes(1)
			expect(JSON.parse(logger.mock.calls[0]?.[0])).toMatchObject({
				level: 'WARN',
				tenant: 'acme',
				error: 'InternalServerError',
			})
			now += 60_000
			await invoke('acme')
			expect(logger).toHaveBeenCalledTimes(2)
			local.dynamodb.faults.clear()
			expect((await invoke('acme')).statusCode).toBe(200)
			expect((await invoke('acme')).statusCode).toBe(429)
		})

		it("answers 503 with Retry-After ('deny')", async () => {
			const { invoke, calls } = pipeline(
				tenantRateLimit({
					limits: { requests: 1, windowSec: 60 },
					store: local.store(),
					onStoreError: 'deny',
					logger: () => undefined,
					now: () => start + 30_000,
				}),
			)
			local.dynamodb.faults.inject({ type: 'down' })
			const denied = await invoke('acme')
			// The store may answer the next request: a few seconds, not the window's remaining 30.
			expect(denied).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
			expect(calls.handler).toBe(0)
		})

		it("asks for no retry past the window's end when it ends within those seconds ('deny')", async () => {
			const { invoke } = pipeline(
				tenantRateLimit({
					limits: { requests: 1, windowSec: 60 },
					store: local.store(),
					onStoreError: 'deny',
					logger: () => undefined,
					// 2 s before the window ends: the retry belongs to the next window, not 5 s later.
					now: () => start + 58_000,
				}),
			)
			local.dynamodb.faults.inject({ type: 'down' })
			expect(await invoke('acme')).toMatchObject({
				statusCode: 503,
				headers: { 'Retry-After': '2' },
			})
		})

		it("asks for a retry within seconds after a one-off failure in a daily window ('deny')", async () => {
			const { invoke } = pipeline(
				tenantRateLimit({
					limits: { requests: 10_000, windowSec: 86_400 },
					store: local.store(),
					onStoreError: 'deny',
					logger: () => undefined,
					now: () => start,
				}),
			)
			local.dynamodb.faults.inject({ type: 'server-error' }, { times: 1 })
			expect(await invoke('acme')).toMatchObject({
				statusCode: 503,
				headers: { 'Retry-After': '5' },
			})
			expect((await invoke('acme')).statusCode).toBe(200)
		})
	})
})

describe('per-tenant plans', () => {
	it('reads each tenant plan once per limitsCacheTtlMs', async () => {
		const plans = vi.fn(async (tenantId: string) =>
			tenantId === 'gold' ? { requests: 3, windowSec: 60 } : { requests: 1, windowSec: 60 },
		)
		const { invoke } = pipeline(
			tenantRateLimit({ limits: plans, store: memoryRateLimitStore(), now: () => start }),
		)
		expect(
			countStatuses(await Promise.all(Array.from({ length: 4 }, () => invoke('gold')))),
		).toEqual({ 200: 3, 429: 1 })
		expect(
			countStatuses(await Promise.all(Array.from({ length: 4 }, () => invoke('free')))),
		).toEqual({ 200: 1, 429: 3 })
		expect(plans).toHaveBeenCalledTimes(2)
	})

	it('answers each tenant with its own plan when requests of different plans interleave', async () => {
		const plans = async (tenantId: string) =>
			tenantId === 'gold' ? { requests: 5, windowSec: 60 } : { requests: 2, windowSec: 3600 }
		const { invoke } = pipeline(
			tenantRateLimit({ limits: plans, store: memoryRateLimitStore(), now: () => start }),
		)
		const policies = []
		for (const tenant of ['gold', 'free', 'gold', 'free', 'gold', 'free']) {
			const { headers } = await invoke(tenant)
			policies.push(`${tenant} ${headers['RateLimit-Policy']} ${headers['RateLimit-Remaining']}`)
		}
		expect(policies).toEqual([
			'gold 5;w=60 4',
			'free 2;w=3600 1',
			'gold 5;w=60 3',
			'free 2;w=3600 0',
			'gold 5;w=60 2',
			'free 2;w=3600 0',
		])
	})

	it('treats a plan lookup failure like a store failure', async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: async () => {
					throw new Error('plans table down')
				},
				store: memoryRateLimitStore(),
				onStoreError: 'deny',
				logger: () => undefined,
			}),
		)
		expect((await invoke('acme')).statusCode).toBe(503)
	})
})

describe('configuration', () => {
	it('answers a clear 500 when tenant isolation did not run first', async () => {
		const errorLogger = vi.fn()
		const { invoke, calls } = pipeline(
			tenantRateLimit({ store: memoryRateLimitStore() }),
			undefined,
			errorLogger,
		)
		const result = await invoke(undefined)
		expect(result.statusCode).toBe(500)
		expect(result.body).toBeUndefined()
		expect(calls.handler).toBe(0)
		expect(errorLogger.mock.calls[0]?.[0]).toMatchObject({
			message: expect.stringContaining('after tenantIsolation'),
		})
	})

	it.each([
		[{}, 'store'],
		[{ store: {} }, 'store'],
		[{ store: memoryRateLimitStore(), limits: { requests: -1, windowSec: 60 } }, 'limits.requests'],
		[
			{ store: memoryRateLimitStore(), limits: { requests: 1, windowSec: 0.5 } },
			'limits.windowSec',
		],
		[{ store: memoryRateLimitStore(), onStoreError: 'ignore' }, 'onStoreError'],
		[{ store: memoryRateLimitStore(), limit: 5 }, 'limit'],
		[{ store: memoryRateLimitStore(), tracer: 'not a tracer' }, 'tracer'],
		[{ store: memoryRateLimitStore(), limitsTimeoutMs: 0 }, 'limitsTimeoutMs'],
		[{ store: memoryRateLimitStore(), limitsTimeoutMs: 2_147_483_648 }, 'limitsTimeoutMs'],
	])('rejects %o naming %s', (options, option) => {
		expect(() => tenantRateLimit(options as never)).toThrow(
			expect.objectContaining({
				name: 'TypeError',
				cause: { package: '@tenantry/rate-limit', option },
			}),
		)
	})

	it('validates the DynamoDB store options', () => {
		expect(() => dynamoRateLimitStore({ tableName: 'x', client: local.client })).toThrow(
			/store.tableName/,
		)
		expect(() => dynamoRateLimitStore({ tableName: 'rate', client: {} as DynamoDBClient })).toThrow(
			/store.client/,
		)
	})

	it.each([
		[{ sortkey: null }, 'store.sortkey'],
		[{ partitionKey: '' }, 'store.partitionKey'],
		[{ sortKey: '' }, 'store.sortKey'],
		[{ sortKeyValue: '' }, 'store.sortKeyValue'],
		[{ ttlAttribute: 42 }, 'store.ttlAttribute'],
	])(
		'refuses DynamoDB store option %o, which would fail every write and so limit nothing',
		(bad, option) => {
			expect(() =>
				dynamoRateLimitStore({ tableName: 'rate', client: local.client, ...bad } as never),
			).toThrow(
				expect.objectContaining({
					name: 'TypeError',
					cause: { package: '@tenantry/rate-limit', option },
				}),
			)
		},
	)

	it('refuses a misspelt memory store option', () => {
		expect(() => memoryRateLimitStore({ maxEntires: 10 } as never)).toThrow(
			/memoryRateLimitStore.maxEntires/,
		)
	})

	it('takes the default for an option given as undefined', async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				store: memoryRateLimitStore({ maxEntries: undefined }),
				limits: undefined,
				onStoreError: undefined,
				logger: undefined,
			}),
		)
		expect((await invoke('acme')).headers['RateLimit-Limit']).toBe('100')
		expect(() =>
			dynamoRateLimitStore({
				tableName: 'rate',
				client: local.client,
				sortKey: undefined,
				ttlAttribute: undefined,
			}),
		).not.toThrow()
	})
})
