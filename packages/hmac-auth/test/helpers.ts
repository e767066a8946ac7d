import { inspect } from 'node:util'
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import {
	type HttpRequestSpec,
	httpApiEvent,
	type LocalSecretsManager,
	lambdaContext,
	startSecretsManager,
} from '@tenantry/testing'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import {
	type HmacAuth,
	type HmacAuthOptions,
	hmacAuth,
	type SignRequestOptions,
	signRequest,
} from '../src/index.js'

/** 2026-11-23T10:00:00Z, the example time. */
export const start = Date.UTC(2026, 10, 23, 10, 0, 0)

/** A settable clock in epoch milliseconds, for the `now` option. */
export const fakeClock = (at = start) => {
	let current = at
	return {
		now: () => current,
		date: () => new Date(current),
		advance: (ms: number) => {
			current += ms
		},
	}
}

export interface Harness {
	handler: (event: unknown) => Promise<APIGatewayProxyResult>
	/** `context.auth` as the handler saw it, per call that reached the handler. */
	seen: unknown[]
	/** What the handler saw as `event.body`. */
	bodies: unknown[]
	/** Everything `@middy/http-error-handler` logged. */
	logged: unknown[]
}

export type BodyParser = 'none' | 'after' | 'before'

/**
 * `middy(handler).use(httpErrorHandler()).use(hmacAuth(options))`, the way users run it;
 * `parser` adds `@middy/http-json-body-parser` after hmacAuth (right) or before it (wrong).
 */
export const harness = (options: HmacAuthOptions, parser: BodyParser = 'none'): Harness => {
	const seen: unknown[] = []
	const bodies: unknown[] = []
	const logged: unknown[] = []
	const base = middy(async (event: { body?: unknown }, context: Context & { auth: HmacAuth }) => {
		seen.push(context.auth)
		bodies.push(event.body)
		return { statusCode: 200, body: JSON.stringify({ tenant: context.auth.tenantId }) }
	}).use(httpErrorHandler({ logger: (error: unknown) => logged.push(error) }))
	const wrapped =
		parser === 'before'
			? base.use(httpJsonBodyParser()).use(hmacAuth(options))
			: parser === 'after'
				? base.use(hmacAuth(options)).use(httpJsonBodyParser())
				: base.use(hmacAuth(options))
	return {
		handler: (event) => wrapped(event as never, lambdaContext()) as Promise<APIGatewayProxyResult>,
		seen,
		bodies,
		logged,
	}
}

/** An HTTP API event carrying a signed JSON request. */
export const signedEvent = (sign: SignRequestOptions, spec: HttpRequestSpec = {}) =>
	httpApiEvent({
		method: 'POST',
		path: '/orders',
		body: sign.body,
		...spec,
		headers: { 'content-type': 'application/json', ...signRequest(sign), ...spec.headers },
	})

/** Every nested value, hidden fields and causes included, as text: for secret scans. */
export const deepText = (...values: unknown[]): string =>
	values.map((value) => inspect(value, { depth: 30, showHidden: true, getters: true })).join('\n')

/** The response every credential failure gets, bit for bit. */
export const unauthorizedResponse = (challenge = 'HMAC realm="api"') => ({
	statusCode: 401,
	body: 'Unauthorized',
	headers: { 'Content-Type': 'text/plain', 'WWW-Authenticate': challenge },
})

export const unavailableResponse = (retryAfter = '5') => ({
	statusCode: 503,
	body: 'Service Unavailable',
	headers: { 'Content-Type': 'text/plain', 'Retry-After': retryAfter },
})

/** The reason (`cause.code`) of the last logged error. */
export const lastReason = (h: Harness): unknown =>
	(h.logged.at(-1) as { cause?: { code?: unknown } } | undefined)?.cause?.code

let counter = 0
/** A fresh Secrets Manager prefix per test, so call counts and caches never mix. */
export const freshPrefix = (): string => `tenants-${++counter}`

/**
 * A local Secrets Manager for the calling test file, with a client that tries once (faults
 * cleared before each test): read `secretsManager` and `client` inside the tests.
 */
export const secretsManagerPerFile = () => {
	const local = {} as { secretsManager: LocalSecretsManager; client: SecretsManagerClient }
	beforeAll(async () => {
		local.secretsManager = await startSecretsManager()
		local.client = local.secretsManager.client({ maxAttempts: 1 })
	})
	afterAll(() => local.secretsManager.stop())
	beforeEach(() => local.secretsManager.faults.clear())
	return local
}
