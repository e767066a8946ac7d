import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { TenantryError } from '@tenantry/util'
import { expect } from 'vitest'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda'
import { type JwtAuth, type JwtAuthOptions, jwtAuth } from '../src/index.js'

export const fakeClock = (start = Date.now()) => {
	let current = start
	return {
		now: () => current,
		advance: (ms: number) => {
			current += ms
		},
		set: (ms: number) => {
			current = ms
		},
	}
}

export interface Outcome {
	statusCode: number
	headers: Record<string, string | number | boolean>
	body: string | undefined
}

/**
 * The pipeline users run: `middy(handler).use(httpErrorHandler()).use(jwtAuth(...))`. It
 * records what the handler saw and the reasons the error handler logged.
 */
export const pipeline = (options: JwtAuthOptions) => {
	const seen: JwtAuth[] = []
	const logged: unknown[] = []
	const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
		.use(httpErrorHandler({ logger: (error: unknown) => logged.push(error) }))
		.use(jwtAuth(options))
		.handler(async (_event, context) => {
			seen.push(context.auth)
			return { statusCode: 200, body: 'ok' }
		})
	const invoke = async (event: APIGatewayProxyEventV2, context?: Context): Promise<Outcome> => {
		const response = (await handler(event, context ?? lambdaContext())) as Outcome
		return { statusCode: response.statusCode, headers: response.headers ?? {}, body: response.body }
	}
	return {
		seen,
		logged,
		invoke,
		/** Sends `Authorization: Bearer <token>` on an HTTP API event. */
		withToken: (token: string) =>
			invoke(httpApiEvent({ headers: { authorization: `Bearer ${token}` } })),
		/** The `code` of the last logged reason. */
		lastReason: (): string | undefined =>
			((logged.at(-1) as { cause?: TenantryError } | undefined)?.cause as TenantryError | undefined)
				?.code,
	}
}

export const invalidToken = 'Bearer realm="api", error="invalid_token"'

const statusText = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' } as const

/** A rejection as the client sees it: status, generic body, and the challenge when given. */
export const expectRejected = (
	outcome: Outcome,
	status: 401 | 403 | 503,
	challenge?: string,
): void => {
	expect({ statusCode: outcome.statusCode, body: outcome.body }).toEqual({
		statusCode: status,
		body: statusText[status],
	})
	if (challenge !== undefined) expect(outcome.headers['WWW-Authenticate']).toBe(challenge)
}

export const decodePart = (token: string, index: 0 | 1): Record<string, unknown> =>
	JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'))

export const encodePart = (value: unknown): string =>
	Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
