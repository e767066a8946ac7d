import { type Gateway, gatewayEvent, gateways, lambdaContext } from '@tenantry/testing'
import { HttpError } from '@tenantry/util'
import { describe, expect, it } from 'vitest'
import { oneRequestAMinute } from './one-a-minute.js'

/**
 * Pins behaviour that was correct but untested on every event shape: the fields reach the client
 * as each gateway reads a response. HTTP APIs and Function URLs read `headers` only (payload 2.0
 * has no `multiValueHeaders`), a REST API both (the multi-value entry wins), an ALB target group
 * `headers` only, or with multi-value headers on, `multiValueHeaders` only.
 */
type Lines = Record<string, string[]>

interface Answer {
	statusCode: number
	headers?: unknown
	multiValueHeaders?: unknown
}

const linesOf = (record: unknown, multiValue: boolean): Lines =>
	Object.fromEntries(
		Object.entries((record ?? {}) as Record<string, unknown>).map(([name, value]) => [
			name.toLowerCase(),
			multiValue ? (value as unknown[]).map(String) : [String(value)],
		]),
	)

/** The header lines the client receives from `gateway` for this Lambda response. */
const received = (
	gateway: Gateway,
	response: { headers?: unknown; multiValueHeaders?: unknown },
) => {
	if (gateway === 'alb-multi') return linesOf(response.multiValueHeaders, true)
	if (gateway === 'rest')
		return {
			...linesOf(response.headers, false),
			...linesOf(response.multiValueHeaders, true),
		}
	return linesOf(response.headers, false)
}

/** The handler's answers: headers in either record or none, a bare body, an HTTP error. */
const answers: Record<string, () => unknown> = {
	'headers only': () => ({
		statusCode: 200,
		headers: { 'Content-Type': 'text/plain' },
		body: 'ok',
	}),
	'multiValueHeaders only': () => ({
		statusCode: 200,
		multiValueHeaders: { 'Content-Type': ['text/plain'] },
		body: 'ok',
	}),
	'no headers': () => ({ statusCode: 200, body: 'ok' }),
	'a bare object': () => ({ ok: true }),
	'a 404': () => {
		throw new HttpError(404)
	},
}

const pipeline = (answer: () => unknown) =>
	oneRequestAMinute<unknown, Answer>(async () => answer() as Answer)

describe.each(gateways)('the RateLimit fields on %s', (gateway) => {
	it.each(Object.keys(answers))(
		'reach the client with a handler answering %s, and with the 429 after it',
		async (kind) => {
			const handler = pipeline(answers[kind] as () => unknown)
			const event = gatewayEvent(gateway, { method: 'GET', path: '/items' })
			const counted = await handler(event, lambdaContext())
			const limited = await handler(event, lambdaContext())
			expect(received(gateway, counted)).toMatchObject({
				'ratelimit-limit': ['1'],
				'ratelimit-remaining': ['0'],
				'ratelimit-policy': ['1;w=60'],
			})
			expect(limited.statusCode).toBe(429)
			expect(received(gateway, limited)).toMatchObject({
				'retry-after': [expect.stringMatching(/^[1-9]\d*$/)],
				'ratelimit-remaining': ['0'],
			})
		},
	)
})
