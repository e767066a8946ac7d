import { serviceUnavailable } from '@tenantry/util'
import { describe, expect, it, vi } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

/**
 * A plan lookup that fails follows onStoreError, logged; only a plan that is not valid is a 500.
 * That holds for a lookup failing with an HttpError of its own too (a plans client answering its
 * outage with util's `serviceUnavailable`, as `@tenantry/aws-clients` does for tenant clients).
 */

const start = Date.UTC(2026, 10, 23, 10, 0, 0)

describe('a plan lookup that fails with an HttpError', () => {
	it("follows onStoreError 'allow' like any other failed lookup, and logs it", async () => {
		const logger = vi.fn()
		const { invoke, calls } = pipeline(
			tenantRateLimit({
				limits: async () => {
					throw serviceUnavailable(30, new Error('plans table throttled'))
				},
				store: memoryRateLimitStore(),
				logger,
				now: () => start,
			}),
		)
		const result = await invoke('acme')
		expect(result.statusCode).toBe(200)
		expect(calls.handler).toBe(1)
		expect(logger).toHaveBeenCalledTimes(1)
	})

	it("answers onStoreError 'deny' with its own 503 (Retry-After of at most 5 s)", async () => {
		const { invoke } = pipeline(
			tenantRateLimit({
				limits: async () => {
					throw serviceUnavailable(30, new Error('plans table throttled'))
				},
				store: memoryRateLimitStore(),
				onStoreError: 'deny',
				logger: () => undefined,
				now: () => start,
			}),
		)
		expect(await invoke('acme')).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
	})
})
