import middy from '@middy/core'
import errorLogger from '@middy/error-logger'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpEventNormalizer from '@middy/http-event-normalizer'
import httpHeaderNormalizer from '@middy/http-header-normalizer'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import inputOutputLogger from '@middy/input-output-logger'
import { lambdaContext, restApiEvent } from '@tenantry/testing'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { type HmacAuth, hmacAuth, signRequest } from '../src/index.js'
import { deepText, fakeClock, freshPrefix, secretsManagerPerFile, signedEvent } from './helpers.js'

/** input-output-logger's line for a response (the event line carries what the client sent). */
const isResponseLog = (message: unknown): boolean =>
	typeof message === 'object' && message !== null && 'response' in message

const local = secretsManagerPerFile()
const body = JSON.stringify({ order: { tenantId: 'acme', item: 'book' } })

const setup = () => {
	const prefix = freshPrefix()
	local.secretsManager.putSecret(`${prefix}/acme`, { shared_secret: 'acme-secret' })
	const clock = fakeClock()
	return {
		auth: () => hmacAuth({ secrets: { prefix, client: local.client }, now: clock.now }),
		signed: (headers: Record<string, string> = {}) =>
			signedEvent(
				{ secret: 'acme-secret', body, tenantId: 'acme', timestamp: clock.date() },
				{ headers },
			),
	}
}

const run = (handler: unknown, event: unknown): Promise<APIGatewayProxyResult> =>
	(handler as (event: unknown, context: Context) => Promise<APIGatewayProxyResult>)(
		event,
		lambdaContext(),
	)

const echo = async (event: { body?: unknown }, context: Context & { auth: HmacAuth }) => ({
	statusCode: 200,
	body: JSON.stringify({ tenant: context.auth.tenantId, body: event.body }),
})

describe('hmacAuth with the middy middlewares users already run', () => {
	it.each([false, true])(
		'verifies after http-event-normalizer and http-header-normalizer (canonical %s)',
		async (canonical) => {
			const { auth, signed } = setup()
			const handler = middy(echo)
				.use(httpEventNormalizer())
				.use(httpHeaderNormalizer({ canonical }))
				.use(httpErrorHandler({ logger: false }))
				.use(auth())
				.use(httpJsonBodyParser())
			const response = await run(handler, signed())
			expect(response.statusCode).toBe(200)
			expect(JSON.parse(response.body)).toEqual({ tenant: 'acme', body: JSON.parse(body) })
		},
	)

	it('verifies a REST API event whose headers the normalizer rewrote', async () => {
		const { auth } = setup()
		const clock = fakeClock()
		const headers = signRequest({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		const event = restApiEvent({
			method: 'POST',
			body,
			headers: {
				'Content-Type': 'application/json',
				'X-Tenant-Id': headers['x-tenant-id'] ?? '',
				'X-Timestamp': headers['x-timestamp'] ?? '',
				'X-Signature': headers['x-signature'] ?? '',
			},
		})
		const handler = middy(echo)
			.use(httpHeaderNormalizer())
			.use(httpErrorHandler({ logger: false }))
			.use(auth())
			.use(httpJsonBodyParser())
		expect((await run(handler, event)).statusCode).toBe(200)
	})

	it('refuses a tenant id sent under two spellings whichever side of it the normalizer runs', async () => {
		const { auth, signed } = setup()
		// A second copy naming another tenant: after the normalizer it is the only one (and its
		// secret does not verify); before it, the copies are joined and refused.
		const event = () => {
			const sent = signed()
			return { ...sent, version: '1.0', headers: { ...sent.headers, 'X-Tenant-Id': 'globex' } }
		}
		const before = middy(echo)
			.use(httpHeaderNormalizer())
			.use(httpErrorHandler({ logger: false }))
			.use(auth())
		const after = middy(echo)
			.use(httpErrorHandler({ logger: false }))
			.use(auth())
			.use(httpHeaderNormalizer())
		expect((await run(before, event())).statusCode).toBe(401)
		expect((await run(after, event())).statusCode).toBe(401)
	})

	it('puts neither the secret nor the signature into what the loggers and http-cors see', async () => {
		const { auth, signed } = setup()
		const logged: unknown[] = []
		const handler = middy(echo)
			.use(errorLogger({ logger: (request) => void logged.push(request.error, request.context) }))
			.use(
				inputOutputLogger({
					logger: (message) => void (isResponseLog(message) && logged.push(message)),
				}),
			)
			.use(httpCors({ origin: '*' }))
			.use(httpErrorHandler({ logger: (error) => void logged.push(error) }))
			.use(auth())
		const forged = signed()
		const signature = forged.headers['x-signature'] ?? ''
		forged.body = JSON.stringify({ order: { tenantId: 'acme', item: 'car' } })
		const refused = await run(handler, forged)
		expect(refused).toMatchObject({
			statusCode: 401,
			headers: { 'WWW-Authenticate': 'HMAC realm="api"', 'Access-Control-Allow-Origin': '*' },
		})
		expect(logged.length).toBeGreaterThanOrEqual(3)
		const text = deepText(logged)
		expect(text).not.toContain('acme-secret')
		expect(signature).not.toBe('')
		expect(text).not.toContain(signature)
	})
})
