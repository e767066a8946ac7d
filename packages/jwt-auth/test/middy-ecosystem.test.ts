import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import middy, { type MiddlewareObj } from '@middy/core'
import errorLogger from '@middy/error-logger'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpEventNormalizer from '@middy/http-event-normalizer'
import httpHeaderNormalizer from '@middy/http-header-normalizer'
import httpResponseSerializer from '@middy/http-response-serializer'
import httpSecurityHeaders from '@middy/http-security-headers'
import inputOutputLogger from '@middy/input-output-logger'
import warmup from '@middy/warmup'
import { httpApiEvent, lambdaContext, restApiEvent, startIdentityProvider } from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { afterAll, describe, expect, it } from 'vitest'
import { type JwtAuthOptions, jwtAuth } from '../src/index.js'

/** input-output-logger's line for a response (the event line carries what the client sent). */
const isResponseLog = (message: unknown): boolean =>
	typeof message === 'object' && message !== null && 'response' in message

const idp = await startIdentityProvider({ algorithms: ['RS256'] })
afterAll(() => idp.stop())

const options = (): JwtAuthOptions => ({ issuers: { issuer: idp.issuer, audience: 'api' } })
const origin = 'https://app.example.com'

interface Response {
	statusCode: number
	headers: Record<string, string>
	body?: string
}

type Invoke = (event: unknown) => Promise<Response>

const invoker =
	(handler: unknown): Invoke =>
	(event) =>
		(handler as (event: unknown, context: Context) => Promise<Response>)(event, lambdaContext())

const ok = async () => ({ statusCode: 200, body: 'ok' })

/**
 * The middlewares of the root README's http-cors recipe, in the order it `.use()`s them, with
 * its `exposeHeaders`: the test runs what the README tells users to write, so a README that
 * drops the recipe or reorders it fails here.
 */
const readmeRecipe = () => {
	const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
	const section = readme.split('### With `@middy/http-cors`')[1]?.split('```ts')[1]?.split('```')[0]
	const names = [...(section ?? '').matchAll(/\.use\(\s*(\w+)\(/g)].map((match) => match[1])
	const exposeHeaders = /exposeHeaders:\s*'([^']*)'/.exec(section ?? '')?.[1]
	return {
		names,
		exposeHeaders,
		preflight: /disableBeforePreflightResponse:\s*false/.test(section ?? ''),
	}
}

describe("the README's http-cors recipe with jwtAuth", () => {
	const recipe = readmeRecipe()
	const build = (): Invoke => {
		const handler = middy(ok)
		for (const name of recipe.names) {
			// Each stands for the README's middleware of that name; middy checks no types at run time.
			const middleware: Record<string, () => unknown> = {
				httpCors: () =>
					httpCors({
						origins: [origin],
						disableBeforePreflightResponse: !recipe.preflight,
						...(recipe.exposeHeaders === undefined ? {} : { exposeHeaders: recipe.exposeHeaders }),
					}),
				httpSecurityHeaders: () => httpSecurityHeaders(),
				httpErrorHandler: () => httpErrorHandler({ logger: false }),
				jwtAuth: () => jwtAuth(options()),
			}
			const make = middleware[name ?? '']
			if (make !== undefined) handler.use(make() as MiddlewareObj)
		}
		return invoker(handler)
	}

	it('puts the response middlewares before httpErrorHandler and httpCors before jwtAuth', () => {
		const at = (name: string) => recipe.names.indexOf(name)
		expect(at('httpCors')).toBeGreaterThanOrEqual(0)
		expect(at('httpCors')).toBeLessThan(at('httpErrorHandler'))
		expect(at('httpSecurityHeaders')).toBeLessThan(at('httpErrorHandler'))
		expect(at('httpErrorHandler')).toBeLessThan(at('jwtAuth'))
	})

	it('answers a preflight without Authorization 204 with CORS headers, not 401', async () => {
		const preflight = await build()(
			httpApiEvent({
				method: 'OPTIONS',
				headers: { origin, 'access-control-request-method': 'GET' },
			}),
		)
		expect(preflight.statusCode).toBe(204)
		expect(preflight.headers['Access-Control-Allow-Origin']).toBe(origin)
	})

	it('sends 401 with its challenge, CORS and security headers, and lets scripts read the challenge', async () => {
		const refused = await build()(httpApiEvent({ headers: { origin } }))
		expect(refused).toMatchObject({
			statusCode: 401,
			body: 'Unauthorized',
			headers: {
				'WWW-Authenticate': 'Bearer realm="api"',
				'Access-Control-Allow-Origin': origin,
				'X-Content-Type-Options': 'nosniff',
			},
		})
		expect(refused.headers['Access-Control-Expose-Headers']).toContain('WWW-Authenticate')
	})

	it('answers a valid token 200 with CORS headers', async () => {
		const token = await idp.sign({ sub: 'u', aud: 'api', tenant_id: 'acme' })
		const allowed = await build()(
			httpApiEvent({ headers: { origin, authorization: `Bearer ${token}` } }),
		)
		expect(allowed.statusCode).toBe(200)
		expect(allowed.headers['Access-Control-Allow-Origin']).toBe(origin)
	})
})

describe('jwtAuth with the middy middlewares users already run', () => {
	it('loses CORS on its 401 when http-cors is used after httpErrorHandler (why the README orders them)', async () => {
		const invoke = invoker(
			middy(ok)
				.use(httpErrorHandler({ logger: false }))
				.use(httpCors({ origins: [origin] }))
				.use(jwtAuth(options())),
		)
		const refused = await invoke(httpApiEvent({ headers: { origin } }))
		expect(refused.statusCode).toBe(401)
		expect(refused.headers).not.toHaveProperty('Access-Control-Allow-Origin')
	})

	it('keeps its 401 text/plain through http-response-serializer', async () => {
		const invoke = invoker(
			middy(ok)
				.use(
					httpResponseSerializer({
						serializers: [{ regex: /json/, serializer: ({ body }) => JSON.stringify({ body }) }],
						defaultContentType: 'application/json',
					}),
				)
				.use(httpErrorHandler({ logger: false }))
				.use(jwtAuth(options())),
		)
		expect(await invoke(httpApiEvent())).toMatchObject({
			statusCode: 401,
			body: 'Unauthorized',
			headers: { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer realm="api"' },
		})
	})

	it.each([false, true])(
		'reads the token after http-header-normalizer (canonical %s) on REST and HTTP API events',
		async (canonical) => {
			const token = await idp.sign({ sub: 'u', aud: 'api', tenant_id: 'acme' })
			const invoke = invoker(
				middy(ok)
					.use(httpEventNormalizer())
					.use(httpHeaderNormalizer({ canonical }))
					.use(httpErrorHandler({ logger: false }))
					.use(jwtAuth(options())),
			)
			const rest = restApiEvent({ headers: { AUTHORIZATION: `Bearer ${token}` } })
			expect((await invoke(rest)).statusCode).toBe(200)
			const http = httpApiEvent({ headers: { authorization: `Bearer ${token}` } })
			expect((await invoke(http)).statusCode).toBe(200)
		},
	)

	it('refuses a token sent under two spellings when the normalizer runs after it', async () => {
		const token = await idp.sign({ sub: 'u', aud: 'api', tenant_id: 'acme' })
		const invoke = invoker(
			middy(ok)
				.use(httpErrorHandler({ logger: false }))
				.use(jwtAuth(options()))
				.use(httpHeaderNormalizer()),
		)
		const event = restApiEvent({
			headers: { Authorization: `Bearer ${token}`, authorization: `Bearer ${token}` },
		})
		expect((await invoke(event)).statusCode).toBe(401)
	})

	it('is skipped by @middy/warmup placed before it, and refuses a warmup event placed after', async () => {
		const first = invoker(
			middy(ok)
				.use(warmup())
				.use(httpErrorHandler({ logger: false }))
				.use(jwtAuth(options())),
		)
		const warming = { source: 'serverless-plugin-warmup' }
		expect(await first(warming)).toBe('warmup')
		const last = invoker(
			middy(ok)
				.use(httpErrorHandler({ logger: false }))
				.use(jwtAuth(options()))
				.use(warmup()),
		)
		expect((await last(warming)).statusCode).toBe(401)
	})

	it('puts no token into what error-logger and http-error-handler log, nor into a logged response', async () => {
		const token = await idp.sign({ sub: 'u', aud: 'api', tenant_id: 'acme' }, { expiresInSec: -60 })
		const scoped = await idp.sign({ sub: 'u', aud: 'api', tenant_id: 'acme', scope: 'a' })
		const errors: unknown[] = []
		const outputs: unknown[] = []
		const invoke = invoker(
			middy(ok)
				.use(errorLogger({ logger: (request) => void errors.push(request.error) }))
				.use(
					inputOutputLogger({
						// The event is the user's to mask (it carries the token as sent); our part is
						// the response.
						logger: (message) => void (isResponseLog(message) && outputs.push(message)),
					}),
				)
				.use(httpErrorHandler({ logger: (error) => void errors.push(error) }))
				.use(jwtAuth({ ...options(), requiredScopes: ['b'] })),
		)
		expect(
			(await invoke(httpApiEvent({ headers: { authorization: `Bearer ${token}` } }))).statusCode,
		).toBe(401)
		expect(
			(await invoke(httpApiEvent({ headers: { authorization: `Bearer ${scoped}` } }))).statusCode,
		).toBe(403)
		expect(errors).toHaveLength(4)
		expect(outputs).toHaveLength(2)
		const logged = inspect([errors, outputs], { depth: 30, showHidden: true })
		for (const sent of [token, scoped]) {
			for (const part of sent.split('.')) expect(logged).not.toContain(part)
		}
	})
})
