import { HttpError } from '@tenantry/util'
import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

const start = Date.UTC(2026, 10, 23, 10, 0, 0)
const limit = (requests: number) =>
	tenantRateLimit({
		limits: { requests, windowSec: 60 },
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

	it("keeps a stacked limit's own fields on its 429", async () => {
		const { invoke } = pipeline([limit(100), limit(1)])
		await invoke('acme')
		const limited = await invoke('acme')
		expect(limited.statusCode).toBe(429)
		expect(limited.headers).toMatchObject({ 'RateLimit-Limit': '1', 'RateLimit-Remaining': '0' })
	})
})
