import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { WithTenant } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { describe, expect, it, vi } from 'vitest'
import { memoryRateLimitStore, type RateLimitStore, tenantRateLimit } from '../src/index.js'
import { countStatuses, pipeline } from './setup.js'

const countingStore = () => {
	const inner = memoryRateLimitStore()
	const consume = vi.fn(inner.consume)
	return { consume } satisfies RateLimitStore
}

describe('hostile input', () => {
	it.each(['', 'acme#RATE#0', '../x', 'a'.repeat(65), 'ten ant', 'ｔenant'])(
		'refuses a hand-set tenant id %j with a 500 and never counts it',
		async (raw) => {
			const store = countingStore()
			const { invoke, calls } = pipeline(tenantRateLimit({ store }))
			expect((await invoke(undefined, { 'x-raw-tenant': raw })).statusCode).toBe(500)
			expect(store.consume).not.toHaveBeenCalled()
			expect(calls.handler).toBe(0)
		},
	)

	it('checks every hand-set context, even right after a valid one and when mutated in place', async () => {
		const store = countingStore()
		const { invoke } = pipeline(tenantRateLimit({ store }))
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke(undefined, { 'x-raw-tenant': '../x' })).statusCode).toBe(500)

		const handSet = { id: 'acme', keyPrefix: 'TENANT#acme#', key: () => 'TENANT#acme#' }
		const mutated = middy(async () => ({ statusCode: 200, body: 'ok' }))
			.use(httpErrorHandler({ logger: false }))
			.use({
				before: (request) => {
					;(request.context as Context & WithTenant).tenant = handSet
				},
			})
			.use(tenantRateLimit({ store }))
		const invokeMutated = () =>
			mutated(httpApiEvent(), lambdaContext()) as Promise<{ statusCode: number }>
		expect((await invokeMutated()).statusCode).toBe(200)
		handSet.id = 'acme#RATE#0'
		expect((await invokeMutated()).statusCode).toBe(500)
		expect(store.consume).toHaveBeenCalledTimes(2)
	})

	it.each([
		{ requests: -1, windowSec: 60 },
		{ requests: 10, windowSec: Number.NaN },
		{ requests: '10', windowSec: 60 },
		null,
		'unlimited',
	])(
		'answers a broken plan %j with a 500, never as "no limit", whatever onStoreError says',
		async (plan) => {
			for (const onStoreError of ['allow', 'deny'] as const) {
				const store = countingStore()
				const { invoke, calls } = pipeline(
					tenantRateLimit({
						limits: async () => plan as never,
						store,
						onStoreError,
						logger: () => undefined,
					}),
				)
				expect((await invoke('acme')).statusCode).toBe(500)
				expect(store.consume).not.toHaveBeenCalled()
				expect(calls.handler).toBe(0)
			}
		},
	)

	it('refuses every request of a plan with zero requests without touching the store', async () => {
		const store = countingStore()
		const { invoke } = pipeline(tenantRateLimit({ limits: { requests: 0, windowSec: 60 }, store }))
		expect((await invoke('acme')).statusCode).toBe(429)
		expect(store.consume).not.toHaveBeenCalled()
	})

	it('keeps its memory bounded under a flood of distinct tenants', async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 1, windowSec: 60 },
				store: memoryRateLimitStore({ maxEntries: 100 }),
				// Fixed: on the system clock, a minute could end between a tenant's two requests.
				now: () => Date.UTC(2026, 0, 1, 0, 0, 30),
			}),
		)
		const results = []
		for (let i = 0; i < 500; i++)
			results.push(await invoke(`tenant-${i}`), await invoke(`tenant-${i}`))
		expect(countStatuses(results)).toEqual({ 200: 500, 429: 500 })
	})

	it('survives a clock that jumps backwards without granting extra requests in a window', async () => {
		let now = Date.UTC(2026, 0, 1, 0, 0, 30)
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 2, windowSec: 60 },
				store: memoryRateLimitStore(),
				now: () => now,
			}),
		)
		await invoke('acme')
		now -= 10_000
		await invoke('acme')
		now += 20_000
		expect((await invoke('acme')).statusCode).toBe(429)
	})

	it('keeps the limit it validated when the caller changes the object afterwards', async () => {
		const limits = { requests: 2, windowSec: 60 }
		const { invoke } = pipeline(tenantRateLimit({ limits, store: memoryRateLimitStore() }))
		limits.requests = -1
		limits.windowSec = 0.5
		const statuses = [await invoke('acme'), await invoke('acme'), await invoke('acme')]
		expect(statuses.map((result) => result.statusCode)).toEqual([200, 200, 429])
		expect(statuses[0]?.headers['RateLimit-Policy']).toBe('2;w=60')
	})

	it.each([2.5, Number.NaN, -3, 2 ** 60])(
		'reports a custom store count of %d as String() would, without failing the request',
		async (count) => {
			const store: RateLimitStore = { consume: () => ({ allowed: true, count }) }
			const { invoke } = pipeline(
				tenantRateLimit({ limits: { requests: 10, windowSec: 60 }, store }),
			)
			const result = await invoke('acme')
			expect(result.statusCode).toBe(200)
			expect(result.headers['RateLimit-Remaining']).toBe(String(Math.max(0, 10 - count)))
		},
	)
})
