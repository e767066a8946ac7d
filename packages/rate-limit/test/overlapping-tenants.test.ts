import { expect, it } from 'vitest'
import {
	type ConsumeRequest,
	type ConsumeResult,
	type RateLimit,
	type RateLimitStore,
	tenantRateLimit,
} from '../src/index.js'
import { pipeline } from './setup.js'

const start = Date.UTC(2026, 10, 23, 10, 0, 0)

/** A promise settled from outside, to force an order between two requests. */
const deferred = <T>() => {
	let resolve: (value: T) => void = () => undefined
	const promise = new Promise<T>((settle) => {
		resolve = settle
	})
	return { promise, resolve }
}

const plans: Record<string, RateLimit> = {
	acme: { requests: 5, windowSec: 60 },
	globex: { requests: 1000, windowSec: 3600 },
}

/** Lets the microtasks of every request in flight run. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

// The limiter keeps per-instance shortcuts (the last tenant context validated, the last plan's
// view) and the headers of each request on its middy request: with two tenants in flight at
// once, answered in the opposite order, each must still report its own plan and count.
it("reports each overlapping request's own tenant, plan and count, whatever order plans and counts arrive in", async () => {
	const planFor = { acme: deferred<RateLimit>(), globex: deferred<RateLimit>() }
	const countFor: Record<string, ReturnType<typeof deferred<ConsumeResult>>> = {}
	const consumed: ConsumeRequest[] = []
	const store: RateLimitStore = {
		consume: (request) => {
			consumed.push(request)
			countFor[request.tenantId] = deferred<ConsumeResult>()
			return countFor[request.tenantId]?.promise ?? Promise.reject(new Error('no count'))
		},
	}
	const { invoke } = pipeline(
		tenantRateLimit({
			limits: (tenantId) => (tenantId === 'acme' ? planFor.acme : planFor.globex).promise,
			store,
			now: () => start,
		}),
	)
	const acme = invoke('acme')
	const globex = invoke('globex')
	// globex's plan first, then acme's; acme's count first, then globex's.
	planFor.globex.resolve(plans.globex as RateLimit)
	await settle()
	planFor.acme.resolve(plans.acme as RateLimit)
	await settle()
	countFor.acme?.resolve({ allowed: true, count: 4 })
	await settle()
	countFor.globex?.resolve({ allowed: true, count: 17 })
	const [acmeResult, globexResult] = await Promise.all([acme, globex])

	expect(consumed.map(({ tenantId, limit }) => [tenantId, limit]).sort()).toEqual([
		['acme', 5],
		['globex', 1000],
	])
	expect(acmeResult.headers).toMatchObject({
		'RateLimit-Limit': '5',
		'RateLimit-Remaining': '1',
		'RateLimit-Policy': '5;w=60',
	})
	expect(globexResult.headers).toMatchObject({
		'RateLimit-Limit': '1000',
		'RateLimit-Remaining': '983',
		'RateLimit-Policy': '1000;w=3600',
	})

	// The store refuses acme's next request while globex's overlaps it: globex's is still allowed,
	// and neither answer carries the other's fields.
	const refused = invoke('acme')
	const next = invoke('globex')
	await settle()
	countFor.acme?.resolve({ allowed: false, count: 5 })
	countFor.globex?.resolve({ allowed: true, count: 18 })
	const [refusedResult, nextResult] = await Promise.all([refused, next])
	expect(refusedResult.statusCode).toBe(429)
	expect(refusedResult.headers).toMatchObject({
		'RateLimit-Limit': '5',
		'RateLimit-Remaining': '0',
	})
	expect(nextResult.statusCode).toBe(200)
	expect(nextResult.headers).toMatchObject({
		'RateLimit-Limit': '1000',
		'RateLimit-Remaining': '982',
	})
})
