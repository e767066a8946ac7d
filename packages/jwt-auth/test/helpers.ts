import { constants, createHmac, KeyObject, sign } from 'node:crypto'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import {
	httpApiEvent,
	type LocalIdentityProvider,
	lambdaContext,
	type SigningKey,
	startIdentityProvider,
} from '@tenantry/testing'
import type { HttpEventLike, TenantryError } from '@tenantry/util'
import type { APIGatewayProxyResultV2, Context } from 'aws-lambda'
import { afterEach, beforeEach, expect } from 'vitest'
import { type JwtAuth, type JwtAuthOptions, jwtAuth, type WithJwtAuth } from '../src/index.js'

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

/**
 * An RS256 identity provider on a fake clock, started before each test of the calling file and
 * stopped after it: read `idp` and `clock` inside the tests.
 */
export const identityProviderPerTest = () => {
	const local = {} as { idp: LocalIdentityProvider; clock: ReturnType<typeof fakeClock> }
	beforeEach(async () => {
		local.clock = fakeClock()
		local.idp = await startIdentityProvider({ now: local.clock.now, algorithms: ['RS256'] })
	})
	afterEach(() => local.idp.stop())
	return local
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
	const handler = middy<HttpEventLike, APIGatewayProxyResultV2>()
		.use(httpErrorHandler({ logger: (error: unknown) => logged.push(error) }))
		.use(jwtAuth(options))
		.handler(async (_event, context) => {
			seen.push(context.auth)
			return { statusCode: 200, body: 'ok' }
		})
	const invoke = async (event: HttpEventLike, context?: Context): Promise<Outcome> => {
		// middy types the context the handler sees; Lambda passes a plain one.
		const lambda = (context ?? lambdaContext()) as Context & WithJwtAuth
		const response = (await handler(event, lambda)) as Outcome
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

/**
 * A rejection as the client sees it: status, generic body, and the challenge when given
 * (`null`: there must be none).
 */
export const expectRejected = (
	outcome: Outcome,
	status: 401 | 403 | 503,
	challenge?: string | null,
): void => {
	expect({ statusCode: outcome.statusCode, body: outcome.body }).toEqual({
		statusCode: status,
		body: statusText[status],
	})
	if (challenge !== undefined)
		expect(outcome.headers['WWW-Authenticate']).toBe(challenge ?? undefined)
}

export const decodePart = (token: string, index: 0 | 1): Record<string, unknown> =>
	JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'))

export const encodePart = (value: unknown): string =>
	Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** The private `KeyObject` behind a local identity provider key. */
export const privateKeyOf = (key: SigningKey): KeyObject =>
	key.privateKey instanceof KeyObject ? key.privateKey : KeyObject.from(key.privateKey)

const hashOf = (alg: string): string | null => (alg === 'EdDSA' ? null : `sha${alg.slice(2)}`)

/**
 * Signs any header and payload with any key under any `alg`, as an attacker (or a buggy
 * issuer) could: RS*, PS*, ES* (IEEE P1363 r‖s) and EdDSA with `node:crypto`.
 */
export const signWith = (
	header: Record<string, unknown>,
	payload: Record<string, unknown>,
	key: KeyObject,
	alg = String(header.alg),
): string => {
	const input = `${encodePart(header)}.${encodePart(payload)}`
	const options = alg.startsWith('PS')
		? {
				key,
				padding: constants.RSA_PKCS1_PSS_PADDING,
				saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
			}
		: alg.startsWith('ES')
			? { key, dsaEncoding: 'ieee-p1363' as const }
			: key
	return `${input}.${sign(hashOf(alg), Buffer.from(input), options).toString('base64url')}`
}

/** HS* over the signing input with `secret`: the HS/RS key-confusion attack when it is a public key. */
export const hmacSign = (
	header: Record<string, unknown>,
	payload: Record<string, unknown>,
	secret: string | Buffer,
): string => {
	const input = `${encodePart(header)}.${encodePart(payload)}`
	const alg = String(header.alg)
	return `${input}.${createHmac(`sha${alg.slice(2)}`, secret)
		.update(input)
		.digest('base64url')}`
}
