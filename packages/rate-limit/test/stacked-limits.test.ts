import middy from '@middy/core'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import { createTenantContext, type WithTenant } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, type RateLimitStore, tenantRateLimit } from '../src/index.js'
import { type HttpResult, pipeline } from './setup.js'

const start = Date.UTC(2026, 10, 23, 10, 0, 0)

const limit = (requests: number, windowSec: number, store = memoryRateLimitStore()) =>
	tenantRateLimit({ limits: { requests, windowSec }, store, now: () => start })

const overlapping = async () => {
	await new Promise((resolve) => setTimeout(resolve, 5))
	return { statusCode: 200, body: 'ok' }
}

/** A limit of 5 a minute over a store that fails once taken down (the limit then allows). */
const limitOverStoreThatGoesDown = () => {
	const memory = memoryRateLimitStore()
	let up = true
	const store: RateLimitStore = {
		consume: (request) => {
			if (!up) throw new Error('store down')
			return memory.consume(request)
		},
	}
	return {
		limit: tenantRateLimit({
			limits: { requests: 5, windowSec: 60 },
			store,
			now: () => start,
			logger: () => undefined,
		}),
		takeDown: () => {
			up = false
		},
	}
}

/** Whether `target` is reachable from `root` through own properties, symbol-keyed ones too. */
const reaches = (root: unknown, target: object): boolean => {
	const seen = new Set<unknown>()
	const pending = [root]
	while (pending.length > 0) {
		const value = pending.pop()
		if (value === target) return true
		if (typeof value !== 'object' || value === null || seen.has(value)) continue
		seen.add(value)
		for (const key of Reflect.ownKeys(value))
			pending.push(Object.getOwnPropertyDescriptor(value, key)?.value)
	}
	return false
}

describe('response headers with stacked limits, shared header objects and failed requests', () => {
	it('builds responses that keep nothing of their request alive, for caches that keep responses', async () => {
		const event = httpApiEvent()
		const context = lambdaContext() as Context & WithTenant
		const handler = middy(async () => ({ statusCode: 200, body: 'ok' }))
			.use({
				before: (request) => {
					;(request.context as Context & WithTenant).tenant = createTenantContext('acme')
				},
			})
			.use([limit(3, 1), limit(100, 3_600)])
		const response = await handler(event, context)
		expect(response).toMatchObject({ headers: { 'RateLimit-Remaining': '2' } })
		expect(reaches(response, event)).toBe(false)
		expect(reaches(response, context)).toBe(false)
	})

	it('reports the stacked limit closest to exhaustion, in either order', async () => {
		const reported = async (order: 'burst first' | 'hourly first') => {
			const burst = tenantRateLimit({
				limits: { requests: 10, windowSec: 1 },
				store: memoryRateLimitStore(),
				now: () => start,
			})
			const hourly = tenantRateLimit({
				limits: { requests: 3, windowSec: 3_600 },
				store: memoryRateLimitStore(),
				now: () => start,
			})
			const { invoke } = pipeline(
				order === 'burst first' ? [burst, hourly] : [hourly, burst],
				async () => ({ statusCode: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' }),
			)
			const lines: string[] = []
			for (let i = 0; i < 3; i++) {
				const { headers } = await invoke('acme')
				lines.push(
					`${headers['Content-Type']} ${headers['RateLimit-Policy']} ${headers['RateLimit-Remaining']}`,
				)
			}
			return lines
		}
		const expected = ['text/plain 3;w=3600 2', 'text/plain 3;w=3600 1', 'text/plain 3;w=3600 0']
		expect(await reported('burst first')).toEqual(expected)
		expect(await reported('hourly first')).toEqual(expected)
	})

	it('reports the stacked limit closest to exhaustion when requests overlap', async () => {
		const { invoke } = pipeline([limit(3, 1), limit(100, 3_600)], overlapping)
		const results = await Promise.all([invoke('acme'), invoke('acme')])
		expect(
			results.map((r) => `${r.headers['RateLimit-Policy']} ${r.headers['RateLimit-Remaining']}`),
		).toEqual(['3;w=1 2', '3;w=1 1'])
	})

	it('reports, of stacked limits with as many requests left, the one that resets later', async () => {
		for (const order of [
			[limit(10, 1), limit(10, 3_600)],
			[limit(10, 3_600), limit(10, 1)],
		]) {
			const { headers } = await pipeline(order).invoke('acme')
			expect([headers['RateLimit-Policy'], headers['RateLimit-Remaining']]).toEqual([
				'10;w=3600',
				'9',
			])
		}
	})

	it('reports each request its own count when the handler returns one shared headers object', async () => {
		const corsHeaders = { 'Access-Control-Allow-Origin': '*' }
		let clock = start
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: { requests: 2, windowSec: 60 },
				store: memoryRateLimitStore(),
				now: () => clock,
			}),
			async () => ({ statusCode: 200, headers: corsHeaders, body: 'ok' }),
		)
		expect((await invoke('acme')).headers['RateLimit-Remaining']).toBe('1')
		expect((await invoke('acme')).headers['RateLimit-Remaining']).toBe('0')
		expect((await invoke('globex')).headers['RateLimit-Remaining']).toBe('1')
		clock = start + 60_000
		const next = await invoke('acme')
		expect([next.headers['RateLimit-Remaining'], next.headers['RateLimit-Reset']]).toEqual([
			'1',
			'60',
		])
	})

	it("never changes the handler's response, so a module constant carries no tenant's counts", async () => {
		const ok = { statusCode: 200, body: 'ok' }
		const { invoke } = pipeline(limit(5, 60), async () => ok)
		for (let i = 0; i < 5; i++) await invoke('acme')
		expect((await invoke('globex')).headers['RateLimit-Remaining']).toBe('4')
		expect(ok).toEqual({ statusCode: 200, body: 'ok' })
		expect(Object.getOwnPropertySymbols(ok)).toEqual([])
	})

	it('reports its own counts on a response replayed from an earlier request', async () => {
		// An in-memory idempotency cache hands back the response an earlier request was sent.
		let replay: HttpResult | undefined
		const { invoke } = pipeline(limit(5, 60), async () => replay ?? { statusCode: 200, body: 'ok' })
		for (let i = 0; i < 5; i++) replay = await invoke('acme')
		expect(replay?.headers['RateLimit-Remaining']).toBe('0')
		expect((await invoke('globex')).headers['RateLimit-Remaining']).toBe('4')
	})

	it('sends overlapping requests that return one shared headers object their own counts', async () => {
		const corsHeaders = { 'Access-Control-Allow-Origin': '*' }
		const store = memoryRateLimitStore()
		for (let i = 0; i < 3; i++)
			store.consume({ tenantId: 'acme', windowStart: start, windowEnd: start + 60_000, limit: 5 })
		let release = () => {}
		const released = new Promise<void>((resolve) => {
			release = resolve
		})
		const { invoke } = pipeline(limit(5, 60, store), async () => {
			await released
			return { statusCode: 200, headers: corsHeaders, body: 'ok' }
		})
		// What the Lambda runtime sends: the response serialised as soon as its invocation ends.
		const sent = (tenant: string) =>
			invoke(tenant).then((response) => JSON.parse(JSON.stringify(response)) as HttpResult)
		const [acme, globex] = [sent('acme'), sent('globex')]
		release()
		expect([(await acme).headers, (await globex).headers]).toEqual([
			expect.objectContaining({ 'Access-Control-Allow-Origin': '*', 'RateLimit-Remaining': '1' }),
			expect.objectContaining({ 'Access-Control-Allow-Origin': '*', 'RateLimit-Remaining': '4' }),
		])
		expect(corsHeaders).toEqual({ 'Access-Control-Allow-Origin': '*' })
	})

	it("leaves no tenant's counts in a shared headers object for a request allowed uncounted", async () => {
		const corsHeaders = { 'Access-Control-Allow-Origin': '*' }
		const { limit: failing, takeDown } = limitOverStoreThatGoesDown()
		const { invoke } = pipeline(failing, async () => ({
			statusCode: 200,
			headers: corsHeaders,
			body: 'ok',
		}))
		for (let i = 0; i < 5; i++) await invoke('acme')
		takeDown()
		const globex = await invoke('globex')
		expect(globex.statusCode).toBe(200)
		expect(globex.headers).toEqual({ 'Access-Control-Allow-Origin': '*' })
	})

	it('answers a bare string or object as API Gateway would have inferred it, with the fields', async () => {
		for (const [output, body] of [
			['Hello from Lambda!', 'Hello from Lambda!'],
			[{ items: [] }, '{"items":[]}'],
		] as const) {
			const { invoke } = pipeline(limit(5, 60), async () => output)
			const response = await invoke('acme')
			expect(response).toMatchObject({ statusCode: 200, body })
			expect(response.headers).toMatchObject({
				'Content-Type': 'application/json',
				'RateLimit-Remaining': '4',
			})
		}
	})

	it("sets all of its headers over a handler's own RateLimit-Remaining", async () => {
		const { invoke } = pipeline(limit(5, 60), async () => ({
			statusCode: 200,
			headers: { 'RateLimit-Remaining': '0' },
			body: 'ok',
		}))
		expect((await invoke('acme')).headers).toMatchObject({
			'RateLimit-Limit': '5',
			'RateLimit-Remaining': '4',
			'RateLimit-Policy': '5;w=60',
		})
	})

	it("replaces a handler's own fields under any spelling, and keeps its other headers", async () => {
		const upstream = {
			'content-type': 'application/json',
			'ratelimit-remaining': '0',
			'RATELIMIT-POLICY': '10;w=1',
			'ratelimit-limits': 'kept: not one of ours',
		}
		const { invoke } = pipeline(limit(5, 60), async () => ({
			statusCode: 200,
			headers: upstream,
			body: '{}',
		}))
		const { headers } = await invoke('acme')
		expect(headers).toEqual({
			'content-type': 'application/json',
			'ratelimit-limits': 'kept: not one of ours',
			'RateLimit-Limit': '5',
			'RateLimit-Remaining': '4',
			'RateLimit-Reset': expect.any(String),
			'RateLimit-Policy': '5;w=60',
		})
		expect(upstream['ratelimit-remaining']).toBe('0')
	})

	it("replaces each of its four fields under a handler's own spelling, from the shortest name to the longest", async () => {
		// ratelimit-reset (15 characters) to ratelimit-remaining (19) bound the names looked at.
		const { invoke } = pipeline(limit(5, 60), async () => ({
			statusCode: 200,
			headers: {
				'ratelimit-reset': '9999',
				'Ratelimit-Limit': '1000',
				'RATELIMIT-REMAINING': '0',
				'ratelimit-Policy': '1000;w=1',
			},
			body: '{}',
		}))
		const { headers } = await invoke('acme')
		expect(Object.keys(headers ?? {}).sort()).toEqual([
			'RateLimit-Limit',
			'RateLimit-Policy',
			'RateLimit-Remaining',
			'RateLimit-Reset',
		])
	})

	it.each([
		['null', null],
		['undefined', undefined],
	])(
		'answers a handler returning %s as an empty 200 with its fields, not a JSON body',
		async (_, nothing) => {
			const { invoke } = pipeline(limit(5, 60), async () => nothing as never)
			const response = await invoke('acme')
			expect(response.statusCode).toBe(200)
			expect(response.body).toBeUndefined()
			expect(Object.keys(response.headers ?? {}).sort()).toEqual([
				'RateLimit-Limit',
				'RateLimit-Policy',
				'RateLimit-Remaining',
				'RateLimit-Reset',
			])
		},
	)

	it('sets its fields in multiValueHeaders too, which API Gateway and ALB send instead of headers', async () => {
		const upstream = { 'ratelimit-remaining': ['0'], 'RateLimit-Limit': ['1000'], Vary: ['Origin'] }
		const { invoke } = pipeline(limit(5, 60), async () => ({
			statusCode: 200,
			multiValueHeaders: upstream,
			body: '{}',
		}))
		const response = (await invoke('acme')) as HttpResult & {
			multiValueHeaders?: Record<string, string[]>
		}
		expect(response.headers?.['RateLimit-Remaining']).toBe('4')
		expect(response.multiValueHeaders).toEqual({
			Vary: ['Origin'],
			'RateLimit-Limit': ['5'],
			'RateLimit-Remaining': ['4'],
			'RateLimit-Reset': [expect.any(String)],
			'RateLimit-Policy': ['5;w=60'],
		})
		expect(upstream['ratelimit-remaining']).toEqual(['0'])
	})

	it('reports the binding one of stacked limits in multiValueHeaders as in headers', async () => {
		for (const limits of [
			[limit(3, 1), limit(100, 3_600)],
			[limit(100, 3_600), limit(3, 1)],
		]) {
			const { invoke } = pipeline(limits, async () => ({
				statusCode: 200,
				multiValueHeaders: { Vary: ['Origin'] },
				body: '{}',
			}))
			const response = (await invoke('acme')) as HttpResult & {
				multiValueHeaders?: Record<string, string[]>
			}
			expect(response.headers?.['RateLimit-Policy']).toBe('3;w=1')
			expect(response.multiValueHeaders?.['RateLimit-Policy']).toEqual(['3;w=1'])
			expect(response.multiValueHeaders?.['RateLimit-Remaining']).toEqual(['2'])
		}
	})

	it('gives no headers to a request allowed without counting after one whose handler failed', async () => {
		const { limit: failing, takeDown } = limitOverStoreThatGoesDown()
		let calls = 0
		const { invoke } = pipeline(failing, async () => {
			if (++calls === 1) throw new Error('handler failed')
			return { statusCode: 200, body: 'ok' }
		})
		expect((await invoke('acme')).statusCode).toBe(500)
		takeDown()
		const allowed = await invoke('acme')
		expect(allowed.statusCode).toBe(200)
		expect(allowed.headers?.['RateLimit-Remaining']).toBeUndefined()
	})
})
