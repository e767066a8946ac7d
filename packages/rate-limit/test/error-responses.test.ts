import { types } from 'node:util'
import vm from 'node:vm'
import middy, { type MiddlewareObj } from '@middy/core'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import { createTenantContext, HttpError, type WithTenant } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

const start = Date.UTC(2026, 10, 23, 10, 0, 0)
const limit = (requests: number, windowSec = 60) =>
	tenantRateLimit({
		limits: { requests, windowSec },
		store: memoryRateLimitStore(),
		now: () => start,
	})

describe('a counted request that then fails', () => {
	it('reports its quota on the error response (a 404 from the handler)', async () => {
		let calls = 0
		const { invoke } = pipeline(limit(5), async () => {
			if (++calls === 1) throw new HttpError(404)
			return { statusCode: 200, body: 'ok' }
		})
		const notFound = await invoke('acme')
		expect(notFound.statusCode).toBe(404)
		expect(notFound.headers).toMatchObject({ 'RateLimit-Limit': '5', 'RateLimit-Remaining': '4' })
		expect((await invoke('acme')).headers['RateLimit-Remaining']).toBe('3')
	})

	it("never changes the handler's error object, which may be thrown for every request", async () => {
		const shared = new HttpError(422, undefined, { headers: { 'X-Reason': 'shape' } })
		const { invoke } = pipeline(limit(5), async () => {
			throw shared
		})
		expect((await invoke('acme')).headers).toMatchObject({
			'X-Reason': 'shape',
			'RateLimit-Remaining': '4',
		})
		expect((await invoke('globex')).headers).toMatchObject({ 'RateLimit-Remaining': '4' })
		expect(shared.headers).toEqual({ 'X-Reason': 'shape' })
		expect(Object.getPrototypeOf(shared)).toBe(HttpError.prototype)
	})

	it('leaves a 500 as the error handler makes it: generic, without headers', async () => {
		const { invoke } = pipeline(limit(5), async () => {
			throw new Error('database password is hunter2')
		})
		const failed = await invoke('acme')
		expect(failed.statusCode).toBe(500)
		expect(failed.headers).not.toHaveProperty('RateLimit-Remaining')
		expect(failed.body ?? '').not.toContain('hunter2')
	})

	it('reports its quota on a 5xx the handler exposes (a 503 with its Retry-After)', async () => {
		// http-error-handler sends an exposed 5xx with its headers, as it does a 4xx: the request
		// was counted, so the client sees what it has left.
		const { invoke } = pipeline(limit(5), async () => {
			throw new HttpError(503, undefined, { expose: true, headers: { 'Retry-After': '30' } })
		})
		const unavailable = await invoke('acme')
		expect(unavailable.statusCode).toBe(503)
		expect(unavailable.headers).toMatchObject({
			'Retry-After': '30',
			'RateLimit-Limit': '5',
			'RateLimit-Remaining': '4',
		})
	})

	it("keeps a stacked limit's own fields on its 429", async () => {
		const { invoke } = pipeline([limit(100), limit(1)])
		await invoke('acme')
		const limited = await invoke('acme')
		expect(limited.statusCode).toBe(429)
		expect(limited.headers).toMatchObject({ 'RateLimit-Limit': '1', 'RateLimit-Remaining': '0' })
	})

	it('answers a frozen module-constant error as without the limiter, with the fields', async () => {
		const notFound = Object.freeze(new HttpError(404))
		const { invoke } = pipeline(limit(5), async () => {
			throw notFound
		})
		const response = await invoke('acme')
		expect(response.statusCode).toBe(404)
		expect(response.headers['RateLimit-Remaining']).toBe('4')
	})

	it('leaves alone an error whose status a class computes (private fields a copy would lose)', async () => {
		class ApiError extends Error {
			readonly #status: number
			constructor(status: number) {
				super('not here')
				this.#status = status
			}
			get statusCode() {
				return this.#status
			}
		}
		const { invoke } = pipeline(limit(5), async () => {
			throw new ApiError(404)
		})
		expect((await invoke('acme')).statusCode).toBe(404)
	})

	it('passes on a native error of the same class, with its message, cause and stack', async () => {
		let seen: unknown
		const spy: MiddlewareObj = {
			onError: (request) => {
				seen = request.error
			},
		}
		const reason = new Error('no such order')
		const thrown = new HttpError(404, undefined, { cause: reason })
		const { invoke } = pipeline([spy, limit(5)], async () => {
			throw thrown
		})
		await invoke('acme')
		expect(seen).not.toBe(thrown)
		expect(seen).toBeInstanceOf(HttpError)
		expect(types.isNativeError(seen)).toBe(true)
		expect(seen).toMatchObject({ message: thrown.message, cause: reason, stack: thrown.stack })
	})

	it('passes on a thrown object that is no native error as such, of its class', async () => {
		// A copy is of the original's kind: loggers print a native error's stack, and an object
		// that never was one must not gain a stack pointing into the rate limiter.
		let seen: unknown
		const spy: MiddlewareObj = {
			onError: (request) => {
				seen = request.error
			},
		}
		class Rejection {
			readonly statusCode = 409
			readonly expose = true
			readonly message = 'order already placed'
		}
		const { invoke } = pipeline([spy, limit(5)], async () => {
			throw new Rejection()
		})
		const conflict = await invoke('acme')
		expect(conflict.statusCode).toBe(409)
		expect(conflict.headers).toMatchObject({ 'RateLimit-Remaining': '4' })
		expect(seen).toBeInstanceOf(Rejection)
		expect(types.isNativeError(seen)).toBe(false)
	})

	it('reports the binding quota of stacked limits, as on a success', async () => {
		let fail = false
		const { invoke } = pipeline([limit(5), limit(100)], async () => {
			if (fail) throw new HttpError(404)
			return { statusCode: 200, body: 'ok' }
		})
		expect((await invoke('acme')).headers).toMatchObject({
			'RateLimit-Limit': '5',
			'RateLimit-Remaining': '4',
		})
		fail = true
		expect((await invoke('acme')).headers).toMatchObject({
			'RateLimit-Limit': '5',
			'RateLimit-Remaining': '3',
		})
	})

	it('never carries two counts: an upstream spelling of our field is dropped', async () => {
		const { invoke } = pipeline(limit(5), async () => {
			throw new HttpError(404, undefined, { headers: { 'ratelimit-remaining': '77' } })
		})
		const { headers } = await invoke('acme')
		expect(
			Object.keys(headers).filter((name) => name.toLowerCase() === 'ratelimit-remaining'),
		).toEqual(['RateLimit-Remaining'])
		expect(headers['RateLimit-Remaining']).toBe('4')
	})

	it('reads a status an error class keeps on its prototype (http-errors), from another realm, or on a plain object', async () => {
		class ClientError extends Error {}
		Object.assign(ClientError.prototype, { statusCode: 404, status: 404, expose: true })
		const foreign: unknown = vm.runInNewContext(
			'const e = new Error("nope"); e.statusCode = 404; e',
		)
		for (const thrown of [
			new ClientError('no such order'),
			foreign,
			{ statusCode: 404, message: 'nope' },
		]) {
			const response = await pipeline(limit(5), async () => {
				throw thrown
			}).invoke('acme')
			expect(response.statusCode).toBe(404)
			expect(response.headers['RateLimit-Remaining']).toBe('4')
		}
	})

	it('leaves an error alone when a copy could not stand in for it, rather than fail the request', async () => {
		class NotFound extends Error {
			statusCode = 404
			readonly #what: string
			constructor(what: string) {
				super()
				this.#what = what
			}
			override get message() {
				return `${this.#what} not found`
			}
		}
		const odd = new HttpError(404)
		const notAConstructor = () => undefined
		;(notAConstructor as unknown as { prototype: object }).prototype = HttpError.prototype
		Object.defineProperty(odd, 'constructor', { value: notAConstructor })
		expect(
			await pipeline(limit(5), async () => {
				throw new NotFound('order')
			}).invoke('acme'),
		).toMatchObject({ statusCode: 404, body: 'order not found' })
		expect(
			(
				await pipeline(limit(5), async () => {
					throw odd
				}).invoke('acme')
			).statusCode,
		).toBe(404)
	})

	it("keeps a sibling's 429 whole, so its Retry-After goes with the fields it reports", async () => {
		const { invoke } = pipeline([limit(2, 3600), limit(1, 60)])
		expect((await invoke('acme')).statusCode).toBe(200)
		const limited = await invoke('acme')
		expect(limited.statusCode).toBe(429)
		expect(limited.headers['Retry-After']).toBe(limited.headers['RateLimit-Reset'])
	})

	it('reports its quota on an answer an inner onError made (a 202 "queued"), leaving the shared answer alone', async () => {
		const queued = { statusCode: 202, headers: { 'Content-Type': 'text/plain' }, body: 'queued' }
		const answerQueued: MiddlewareObj = {
			onError: (request) => {
				request.response = queued
			},
		}
		const { invoke } = pipeline([limit(5), answerQueued], async () => {
			throw new Error('downstream busy')
		})
		const first = await invoke('acme')
		expect(first.statusCode).toBe(202)
		expect(first.headers).toMatchObject({
			'Content-Type': 'text/plain',
			'RateLimit-Limit': '5',
			'RateLimit-Remaining': '4',
		})
		expect((await invoke('globex')).headers['RateLimit-Remaining']).toBe('4')
		expect(queued.headers).toEqual({ 'Content-Type': 'text/plain' })
	})

	it("keeps a stacked limit's 429 whole when an inner onError answered it", async () => {
		// An inner onError answering every HTTP error itself, with the error's own headers.
		const answerErrors: MiddlewareObj = {
			onError: (request) => {
				const error = request.error as { statusCode?: number; headers?: Record<string, string> }
				request.response = {
					statusCode: error.statusCode ?? 500,
					headers: { 'Content-Type': 'application/problem+json', ...error.headers },
					body: JSON.stringify({ status: error.statusCode }),
				}
			},
		}
		const named = (requests: number, name: string) =>
			tenantRateLimit({
				name,
				limits: { requests, windowSec: 60 },
				store: memoryRateLimitStore(),
				now: () => start,
			})
		const { invoke } = pipeline([named(100, 'cap'), named(1, 'plan'), answerErrors])
		expect((await invoke('acme')).statusCode).toBe(200)
		const limited = await invoke('acme')
		expect(limited.statusCode).toBe(429)
		expect(limited.headers).toMatchObject({ 'RateLimit-Limit': '1', 'RateLimit-Remaining': '0' })
		expect(limited.headers['Retry-After']).toBe(limited.headers['RateLimit-Reset'])
	})
})

describe('a counted request whose handler throws a value that is not an object', () => {
	// No error handler: what the limiter leaves is exactly what reaches the caller.
	const counted = (thrown: unknown, inner: MiddlewareObj[] = []) =>
		middy(async () => {
			throw thrown
		})
			.use({
				before: (request) => {
					;(request.context as Context & WithTenant).tenant = createTenantContext('acme')
				},
			})
			.use([limit(5), ...inner])(httpApiEvent(), lambdaContext() as Context & WithTenant)

	it.each([undefined, null, 'failed', 42])('passes %j on as thrown', async (thrown) => {
		await expect(counted(thrown)).rejects.toBe(thrown)
	})

	it.each([undefined, null, 'failed'])(
		'reports its quota on the answer an inner onError made of %j',
		async (thrown) => {
			const queued: MiddlewareObj = {
				onError: (request) => {
					request.response = { statusCode: 202, body: 'queued' }
				},
			}
			expect(await counted(thrown, [queued])).toMatchObject({
				statusCode: 202,
				headers: { 'RateLimit-Limit': '5', 'RateLimit-Remaining': '4' },
			})
		},
	)
})
