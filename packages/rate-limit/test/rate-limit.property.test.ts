import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { HttpError } from '@tenantry/util'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dynamoRateLimitStore, memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

type Fault = 'none' | 'hang' | 'error' | 'landed-then-error'

/**
 * A DynamoDB table as the store's one UpdateItem sees it (ADD under the condition count <
 * limit), whose next answer the test picks: the write, a table that never answers (until the
 * store's timeoutMs aborts it), an error, or a write that landed but whose answer was lost.
 */
const fakeTable = () => {
	const counts = new Map<string, number>()
	const table = { fault: 'none' as Fault, sent: 0 }
	const client = {
		send: (command: { input: unknown }, options?: { abortSignal?: AbortSignal }) => {
			table.sent++
			const { Key, ExpressionAttributeValues } = command.input as {
				Key: unknown
				ExpressionAttributeValues: { ':limit': { N: string } }
			}
			const key = JSON.stringify(Key)
			const limit = Number(ExpressionAttributeValues[':limit'].N)
			const write = () => {
				const count = counts.get(key) ?? 0
				if (count >= limit)
					throw new ConditionalCheckFailedException({ message: 'condition', $metadata: {} })
				counts.set(key, count + 1)
				return { Attributes: { count: { N: String(count + 1) } } }
			}
			switch (table.fault) {
				case 'hang':
					return new Promise((_, reject) => {
						const signal = options?.abortSignal
						signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
					})
				case 'error':
					return Promise.reject(new Error('ProvisionedThroughputExceededException'))
				case 'landed-then-error':
					try {
						write()
					} catch {}
					return Promise.reject(new Error('socket hang up'))
				default:
					return (async () => write())()
			}
		},
	}
	return { table, client: client as unknown as DynamoDBClient }
}

const step = fc.record({
	container: fc.integer({ min: 0, max: 2 }),
	tenant: fc.constantFrom('acme', 'globex', 'initech'),
	advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30_000 })),
})

/**
 * Three containers share one exact store. Whatever the order of requests and the passage of
 * time, each tenant gets exactly min(attempts, limit) requests through per window, every other
 * request is a 429, and every answer carries consistent RateLimit headers.
 */
describe('rate limiting against a counting model', () => {
	it('allows exactly min(attempts, limit) per tenant and window', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(step, { minLength: 1, maxLength: 80 }),
				fc.integer({ min: 1, max: 5 }),
				async (steps, limit) => {
					let now = Date.UTC(2026, 0, 1)
					const store = memoryRateLimitStore()
					const containers = [0, 1, 2].map(() =>
						pipeline(
							tenantRateLimit({
								limits: { requests: limit, windowSec: 60 },
								store,
								now: () => now,
							}),
						),
					)
					const allowed = new Map<string, number>()
					for (const { container, tenant, advanceMs } of steps) {
						now += advanceMs
						const key = `${tenant}#${Math.floor(now / 60_000)}`
						const used = allowed.get(key) ?? 0
						const result = await containers[container]?.invoke(tenant)
						expect(result?.statusCode).toBe(used < limit ? 200 : 429)
						if (used < limit) allowed.set(key, used + 1)
						expect(result?.headers['RateLimit-Limit']).toBe(String(limit))
						expect(result?.headers['RateLimit-Remaining']).toBe(
							String(Math.max(0, limit - Math.min(limit, used + 1))),
						)
						expect(Number(result?.headers['RateLimit-Reset'])).toBeLessThanOrEqual(60)
					}
				},
			),
			{ numRuns: 300 },
		)
	})

	it('named limits on one shared store (memory or DynamoDB) count apart; store faults, plan lookups failing with HTTP errors and bare-string answers follow the rules', async () => {
		const names = fc.constantFrom(undefined, 'plan', 'cap', 'route.a', 'route_b-2')
		const namedStep = fc.record({
			route: fc.integer({ min: 0, max: 1 }),
			// initech's plan lookup fails with an HttpError of its own.
			tenant: fc.constantFrom('acme', 'globex', 'initech'),
			advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30_000 })),
			fault: fc.constantFrom<Fault>(
				'none',
				'none',
				'none',
				'none',
				'hang',
				'error',
				'landed-then-error',
			),
			bareString: fc.boolean(),
		})
		await fc.assert(
			fc.asyncProperty(
				fc.uniqueArray(names, { minLength: 2, maxLength: 2 }),
				fc.array(namedStep, { minLength: 1, maxLength: 40 }),
				fc.integer({ min: 1, max: 4 }),
				fc.constantFrom('memory', 'dynamo'),
				fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
				fc.constantFrom(400, 404, 429, 500, 502, 503),
				fc.integer({ min: 1, max: 5 }),
				async (routeNames, steps, limit, storeKind, onStoreError, planStatus, timeoutMs) => {
					let now = Date.UTC(2026, 0, 1)
					const { table, client } = fakeTable()
					const store =
						storeKind === 'memory'
							? memoryRateLimitStore()
							: dynamoRateLimitStore({ tableName: 'rate-limits', client, timeoutMs })
					let bareString = false
					// One plan object: a container remembers a window exhausted under the plan it got.
					const plan = { requests: limit, windowSec: 60 }
					const routes = routeNames.map((name) =>
						pipeline(
							tenantRateLimit({
								...(name === undefined ? {} : { name }),
								limits: async (tenantId) => {
									if (tenantId === 'initech') throw new HttpError(planStatus, 'plans unavailable')
									return plan
								},
								// Kept for the whole run: a plan fetched again is a new plan, under which the
								// container forgets the windows it saw exhausted (one more store call).
								limitsCacheTtlMs: 24 * 3_600_000,
								store,
								onStoreError,
								logger: () => undefined,
								now: () => now,
							}),
							async () => (bareString ? 'ok' : { statusCode: 200, body: 'ok' }),
						),
					)
					const allowed = new Map<string, number>()
					// Windows each route's container saw exhausted: it answers 429 without the store.
					const exhausted = new Set<string>()
					for (const step of steps) {
						now += step.advanceMs
						bareString = step.bareString
						// Only a DynamoDB store can be made to fail.
						const fault: Fault = storeKind === 'dynamo' ? step.fault : 'none'
						table.fault = fault
						const route = routes[step.route]
						if (route === undefined) throw new Error('no route')
						const ran = route.calls.handler
						const sent = table.sent
						const result = await route.invoke(step.tenant)
						const key = `${routeNames[step.route]}#${step.tenant}#${Math.floor(now / 60_000)}`
						const known = exhausted.has(key)
						const failed = step.tenant === 'initech' || (fault !== 'none' && !known)
						const used = allowed.get(key) ?? 0
						if (step.tenant !== 'initech' && !known) {
							if (fault !== 'hang' && fault !== 'error' && used < limit) allowed.set(key, used + 1)
							if (fault === 'none' && used + 1 >= limit) exhausted.add(key)
						}
						if (known) expect(table.sent).toBe(sent)
						if (step.tenant === 'initech') expect(table.sent).toBe(sent)
						const want = failed ? (onStoreError === 'allow' ? 200 : 503) : used < limit ? 200 : 429
						expect(route.calls.handler).toBe(ran + (want === 200 ? 1 : 0))
						if (want === 200 && failed && bareString) {
							// No quota to tell: the answer goes out as the handler gave it (API Gateway
							// infers the 200 of application/json).
							expect(result).toBe('ok')
							continue
						}
						expect(result.statusCode).toBe(want)
						if (want === 200 && bareString) {
							expect(result.headers['Content-Type'] ?? result.headers['content-type']).toBe(
								'application/json',
							)
							expect(result.body).toBe('ok')
						}
						if (!failed) {
							expect(result.headers['RateLimit-Limit']).toBe(String(limit))
							expect(result.headers['RateLimit-Remaining']).toBe(
								String(Math.max(0, limit - Math.min(limit, used + 1))),
							)
						}
						if (want === 503) expect(result.headers['Retry-After']).toEqual(expect.any(String))
					}
				},
			),
			{ numRuns: 300 },
		)
	})
})
