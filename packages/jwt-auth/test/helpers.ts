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
import {
	type JwsAlgorithm,
	type JwtAuth,
	type JwtAuthOptions,
	jwtAuth,
	type WithJwtAuth,
} from '../src/index.js'

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

/** A token part read as jose reads it (a leading BOM dropped), or `undefined`. */
export const readPart = (
	part: string | undefined,
): { value: unknown; bom: boolean } | undefined => {
	if (part === undefined) return undefined
	try {
		const bytes = Buffer.from(part, 'base64url')
		const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
		return { value: JSON.parse(text), bom: bytes[0] === 0xef && bytes[1] === 0xbb }
	} catch {
		return undefined
	}
}

/** Whether a token part is the canonical, unpadded base64url spelling of its bytes. */
export const isCanonical = (part: string): boolean =>
	Buffer.from(part, 'base64url').toString('base64url') === part

/** The payload of a token as an object (`{}` when it is not one). */
export const claimsOf = (token: string): Record<string, unknown> => {
	const value = readPart(token.split('.')[1])?.value
	return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

/** Makes `idp` serve exactly `jwks` (until the next call), whatever keys it holds itself. */
export const serveJwks = (idp: LocalIdentityProvider, jwks: unknown): void => {
	idp.faults.clear()
	idp.faults.inject(
		{
			type: 'respond',
			status: 200,
			body: JSON.stringify(jwks),
			headers: { 'content-type': 'application/json' },
		},
		{ target: new URL(idp.jwksUri).pathname },
	)
}

/** Curve orders, to write the high-`s` twin (`n - s`) of an ECDSA signature. */
const curveOrders: Partial<Record<JwsAlgorithm, bigint>> = {
	ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
	ES384:
		0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
	ES512:
		0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
}

/** `r ‖ (n - s)`: the other signature ECDSA accepts for the same message. */
export const highS = (alg: JwsAlgorithm, signature: Buffer): Buffer => {
	const order = curveOrders[alg]
	if (order === undefined) return signature
	const half = signature.length / 2
	const s = BigInt(`0x${signature.subarray(half).toString('hex')}`)
	const twin = Buffer.from((order - s).toString(16).padStart(half * 2, '0'), 'hex')
	return Buffer.concat([signature.subarray(0, half), twin])
}

/** Sets unused low bits of the last base64url character: the same bytes, another spelling. */
export const withTrailingBits = (part: string): string => {
	const remainder = part.length % 4
	if (remainder < 2) return part
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
	const last = alphabet.indexOf(part.at(-1) ?? 'A')
	return part.slice(0, -1) + (alphabet[last | (remainder === 2 ? 0x0f : 0x03)] ?? '')
}
/** The part with `=` padding to a multiple of four characters. */
export const padded = (part: string): string => part + '='.repeat((4 - (part.length % 4)) % 4)
