import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Request } from '@middy/core'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { Webhook } from 'standardwebhooks'
import { defineBench } from '../../../scripts/bench-kit.js'
import { hmacAuth, signRequest } from '../src/index.js'

const tenantId = 'acme'
const secret = 'bench-shared-secret-0123456789abcdef'
const whsec = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

const bodyOf = (bytes: number): string =>
	JSON.stringify({ data: 'x'.repeat(bytes - 12) }).slice(0, bytes)

type Before = (request: Request) => unknown

/** A prebuilt middy request, so only the middleware's `before` is timed. */
const requestFor = (event: unknown): Request =>
	({
		event,
		context: lambdaContext() as Context,
		response: undefined,
		error: undefined,
		internal: {},
	}) as Request

/**
 * The warm path (secret cached) of both schemes against the work it cannot avoid: one
 * `createHmac` over the same bytes and one `timingSafeEqual`, and against `standardwebhooks`.
 */
export default defineBench(async () => {
	const comparisons = []
	for (const [label, bytes] of [
		['1 KiB', 1024],
		['256 KiB', 256 * 1024],
	] as const) {
		const body = bodyOf(bytes)
		const now = Date.now()

		const tenantry = hmacAuth({ secrets: async () => secret, toleranceSec: 3_600 }).before as Before
		const headers = signRequest({ secret, body, tenantId, timestamp: Math.floor(now / 1000) })
		const request = requestFor(httpApiEvent({ method: 'POST', path: '/orders', body, headers }))
		await tenantry(request)
		const timestamp = headers['x-timestamp'] ?? ''
		const expected = Buffer.from(headers['x-signature'] ?? '', 'hex')
		comparisons.push({
			name: `tenantry scheme, ${label} body`,
			ours: () => tenantry(request),
			peers: [
				{
					name: 'node:crypto createHmac + timingSafeEqual',
					run: () =>
						timingSafeEqual(
							createHmac('sha256', secret).update(`${timestamp}\n`).update(body).digest(),
							expected,
						),
					target: bytes === 1024 ? 1.3 : 1.05,
				},
			],
		})

		const webhooks = hmacAuth({
			scheme: 'standard-webhooks',
			secrets: async () => whsec,
			toleranceSec: 3_600,
		}).before as Before
		const webhookHeaders = signRequest({
			scheme: 'standard-webhooks',
			secret: whsec,
			body,
			tenantId,
		})
		const webhookRequest = requestFor(
			httpApiEvent({ method: 'POST', path: '/hooks', body, headers: webhookHeaders }),
		)
		await webhooks(webhookRequest)
		const reference = new Webhook(whsec)
		comparisons.push({
			name: `standard-webhooks scheme, ${label} body`,
			ours: () => webhooks(webhookRequest),
			peers: [
				{
					name: 'standardwebhooks Webhook#verify',
					run: () => reference.verify(body, webhookHeaders, { jsonParse: false }),
					target: 1,
				},
			],
		})
	}
	return { comparisons }
})
