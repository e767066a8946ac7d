import { readFileSync } from 'node:fs'
import middy, { type MiddlewareObj } from '@middy/core'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpResponseSerializer from '@middy/http-response-serializer'
import httpSecurityHeaders from '@middy/http-security-headers'
import warmup from '@middy/warmup'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { WithAuth } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'

const start = Date.UTC(2026, 10, 23, 10, 0, 10)
const origin = 'https://app.example.com'
const ourFields = [
	'Retry-After',
	'RateLimit-Limit',
	'RateLimit-Remaining',
	'RateLimit-Reset',
	'RateLimit-Policy',
]

interface Response {
	statusCode: number
	headers: Record<string, string>
	body?: string
}

/** Stands in for jwtAuth: the tenant named in `x-tenant` is the authenticated one. */
const testAuth: MiddlewareObj<unknown, unknown, Error, Context & WithAuth> = {
	before: (request) => {
		const { headers } = request.event as { headers: Record<string, string | undefined> }
		request.context.auth = { method: 'test', tenantId: headers['x-tenant'] }
	},
}

const limitOf = (requests: number) =>
	tenantRateLimit({
		limits: { requests, windowSec: 60 },
		store: memoryRateLimitStore(),
		now: () => start,
	})

const invoker = (handler: unknown) => (event: unknown) =>
	(handler as (event: unknown, context: Context) => Promise<Response>)(event, lambdaContext())

const request = (tenant: string) => httpApiEvent({ headers: { origin, 'x-tenant': tenant } })

/** The root README's http-cors recipe: the order of its `.use()`s and its `exposeHeaders`. */
const readmeRecipe = () => {
	const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
	const section = readme.split('### With `@middy/http-cors`')[1]?.split('```ts')[1]?.split('```')[0]
	return {
		names: [...(section ?? '').matchAll(/\.use\(\s*(\w+)\(/g)].map((match) => match[1]),
		exposeHeaders: /exposeHeaders:\s*'([^']*)'/.exec(section ?? '')?.[1],
	}
}

describe("the README's http-cors recipe with tenantRateLimit", () => {
	const recipe = readmeRecipe()
	const build = () => {
		const handler = middy(async () => ({ statusCode: 200, body: 'ok' }))
		// Each stands for the README's middleware of that name; middy checks no types at run time.
		const middleware: Record<string, () => unknown> = {
			httpCors: () =>
				httpCors({
					origins: [origin],
					...(recipe.exposeHeaders === undefined ? {} : { exposeHeaders: recipe.exposeHeaders }),
				}),
			httpSecurityHeaders: () => httpSecurityHeaders(),
			httpErrorHandler: () => httpErrorHandler({ logger: false }),
			jwtAuth: () => testAuth,
			tenantIsolation: () => tenantIsolation({ onViolation: () => undefined }),
			tenantRateLimit: () => limitOf(1),
		}
		for (const name of recipe.names) {
			const make = middleware[name ?? '']
			if (make !== undefined) handler.use(make() as MiddlewareObj)
		}
		return invoker(handler)
	}

	it('uses the rate limiter in it', () => {
		expect(recipe.names).toContain('tenantRateLimit')
	})

	it('sends the 429 with Retry-After and RateLimit-* readable by a script on another origin', async () => {
		const invoke = build()
		const allowed = await invoke(request('acme'))
		expect(allowed.statusCode).toBe(200)
		expect(allowed.headers['Access-Control-Allow-Origin']).toBe(origin)
		const limited = await invoke(request('acme'))
		expect(limited).toMatchObject({
			statusCode: 429,
			headers: {
				'Retry-After': '50',
				'RateLimit-Remaining': '0',
				'Access-Control-Allow-Origin': origin,
				'X-Content-Type-Options': 'nosniff',
			},
		})
		const exposed = (limited.headers['Access-Control-Expose-Headers'] ?? '')
			.split(',')
			.map((name) => name.trim().toLowerCase())
		for (const field of ourFields) expect(exposed).toContain(field.toLowerCase())
	})
})

describe('tenantRateLimit with the middy middlewares users already run', () => {
	it('keeps its fields on a 200 and a 429 through http-response-serializer', async () => {
		const invoke = invoker(
			middy(async () => ({ statusCode: 200, body: { items: [] } }))
				.use(
					httpResponseSerializer({
						serializers: [{ regex: /json/, serializer: ({ body }) => JSON.stringify(body) }],
						defaultContentType: 'application/json',
					}),
				)
				.use(httpErrorHandler({ logger: false }))
				.use(testAuth)
				.use(tenantIsolation({ onViolation: () => undefined }))
				.use(limitOf(1)),
		)
		const allowed = await invoke(request('acme'))
		expect(allowed).toMatchObject({
			statusCode: 200,
			body: '{"items":[]}',
			headers: { 'RateLimit-Remaining': '0', 'Content-Type': 'application/json' },
		})
		const limited = await invoke(request('acme'))
		expect(limited).toMatchObject({
			statusCode: 429,
			body: 'Too Many Requests',
			headers: { 'Retry-After': '50', 'RateLimit-Limit': '1', 'Content-Type': 'text/plain' },
		})
	})

	it('counts nothing for a warmup event answered before it', async () => {
		const invoke = invoker(
			middy(async () => ({ statusCode: 200, body: 'ok' }))
				.use(warmup())
				.use(httpErrorHandler({ logger: false }))
				.use(testAuth)
				.use(tenantIsolation({ onViolation: () => undefined }))
				.use(limitOf(1)),
		)
		expect(await invoke({ source: 'serverless-plugin-warmup' })).toBe('warmup')
		expect((await invoke(request('acme'))).statusCode).toBe(200)
	})
})
