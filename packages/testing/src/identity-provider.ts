import {
	generateKeyPairSync,
	type KeyObject,
	randomUUID,
	sign as signBytes,
	type webcrypto,
} from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'
import { answerCommonFault, createFaultPlan, type Fault, type FaultControl } from './faults.js'
import { startHttpServer } from './loopback-server.js'

export type SigningAlgorithm =
	| 'RS256'
	| 'RS384'
	| 'RS512'
	| 'PS256'
	| 'PS384'
	| 'PS512'
	| 'ES256'
	| 'ES384'
	| 'ES512'
	| 'EdDSA'

export interface SigningKey {
	kid: string
	alg: SigningAlgorithm
	/** A `KeyObject` only for RSA keys under 2048 bits, which jose refuses to create or use. */
	privateKey: webcrypto.CryptoKey | KeyObject
	/** The public JWK as published (with `kid`, `alg`, `use`). */
	publicJwk: JWK
}

export interface CreateKeyOptions {
	kid?: string
	/** Publish in the JWKS (default true). An unpublished key signs tokens with an unknown `kid`. */
	publish?: boolean
	/** RSA only; e.g. 1024 to test weak-key rejection. Default 2048. */
	modulusLength?: number
	/** Override published JWK members, e.g. `{ use: 'enc' }` or a wrong `alg`. */
	jwk?: Partial<JWK>
}

export interface SignOptions {
	/** Sign with this key; default: the newest published key for `alg`. */
	key?: SigningKey
	/** Default `RS256`. */
	alg?: SigningAlgorithm
	/** Extra protected header members (`typ`, `crit`, `jku`, ...); `kid: undefined` drops the kid. */
	header?: Record<string, unknown>
	/** Seconds until `exp` (default 3600); `null` omits `exp`. */
	expiresInSec?: number | null
}

export interface LocalIdentityProvider {
	/** `http://127.0.0.1:<port>`: the `iss` of every token it signs. */
	readonly issuer: string
	readonly jwksUri: string
	readonly discoveryUri: string
	/** Signs `claims` (merged over `iss`, `iat`, `exp`, `jti`; `undefined` values drop a default). */
	sign(claims?: JWTPayload, options?: SignOptions): Promise<string>
	createKey(alg: SigningAlgorithm, options?: CreateKeyOptions): Promise<SigningKey>
	/** Publishes a fresh key for each algorithm in use; the old ones go unless `keepPrevious`. */
	rotateKeys(options?: { keepPrevious?: boolean }): Promise<void>
	unpublish(kid: string): void
	/** The JWKS document as currently served. */
	jwks(): { keys: JWK[] }
	/** Requests to the JWKS URI (faulted ones included). */
	jwksCalls(): number
	discoveryCalls(): number
	resetCalls(): void
	/** By path (`/.well-known/jwks.json`): down, delay, server-error, not-found, malformed, oversized, respond. */
	readonly faults: FaultControl
	stop(): Promise<void>
}

const isKeyObject = (key: webcrypto.CryptoKey | KeyObject): key is KeyObject => 'export' in key

/** RS* signing with `node:crypto`, for the weak keys jose will not sign with. */
const signWithKeyObject = (
	header: Record<string, unknown>,
	payload: JWTPayload,
	key: KeyObject,
	alg: SigningAlgorithm,
) => {
	const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
	const signature = signBytes(`sha${alg.slice(2)}`, Buffer.from(input), key)
	return `${input}.${signature.toString('base64url')}`
}

const defaultCurve: Partial<Record<SigningAlgorithm, string>> = { EdDSA: 'Ed25519' }

export interface StartIdentityProviderOptions {
	/** Algorithms to publish a key for at start. Default `['RS256', 'ES256']`. */
	algorithms?: SigningAlgorithm[]
	/** Clock (ms) for `iat`/`exp`. */
	now?: () => number
}

/** An OpenID provider on loopback: discovery document, JWKS, and a token signer. */
export const startIdentityProvider = async (
	options: StartIdentityProviderOptions = {},
): Promise<LocalIdentityProvider> => {
	const now = options.now ?? (() => Date.now())
	const published: SigningKey[] = []
	const faults = createFaultPlan()
	const stopping = new AbortController()
	let jwksCalls = 0
	let discoveryCalls = 0
	let issuer = ''

	const jwksPath = '/.well-known/jwks.json'
	const discoveryPath = '/.well-known/openid-configuration'

	const jwks = () => ({ keys: published.map((key) => key.publicJwk) })

	const sendJson = (response: ServerResponse, body: unknown): void => {
		const text = JSON.stringify(body)
		response.writeHead(200, {
			'Content-Type': 'application/json',
			'Content-Length': Buffer.byteLength(text),
			'Cache-Control': 'max-age=300',
		})
		response.end(text)
	}

	const answerFault = async (fault: Fault, response: ServerResponse): Promise<boolean> => {
		const common = await answerCommonFault(
			fault,
			response,
			faults.delayEnds(stopping.signal),
			(late) => answerFault(late, response),
		)
		if (common !== undefined) return common
		switch (fault.type) {
			case 'server-error':
			case 'throttle':
				response.writeHead(fault.type === 'throttle' ? 429 : 500).end('error')
				return true
			case 'not-found':
			case 'access-denied':
				response.writeHead(fault.type === 'not-found' ? 404 : 403).end()
				return true
			case 'malformed':
				response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"keys": [')
				return true
			case 'oversized':
				sendJson(response, { ...jwks(), padding: 'x'.repeat(fault.bytes ?? 1_048_576) })
				return true
			default:
				return false
		}
	}

	const server = await startHttpServer(async (request, _body, response) => {
		const path = new URL(request.url ?? '/', 'http://localhost').pathname
		if (path === jwksPath) jwksCalls++
		if (path === discoveryPath) discoveryCalls++
		const fault = faults.take(path)
		if (fault && (await answerFault(fault, response))) return
		if (request.method !== 'GET') {
			response.writeHead(405).end()
		} else if (path === jwksPath) {
			sendJson(response, jwks())
		} else if (path === discoveryPath) {
			sendJson(response, {
				issuer,
				jwks_uri: `${issuer}${jwksPath}`,
				response_types_supported: ['code', 'token', 'id_token'],
				subject_types_supported: ['public'],
				id_token_signing_alg_values_supported: [...new Set(published.map((key) => key.alg))],
			})
		} else {
			response.writeHead(404).end()
		}
	})
	issuer = server.url

	const generate = async (alg: SigningAlgorithm, modulusLength: number | undefined) => {
		if (modulusLength !== undefined && modulusLength < 2048) {
			if (!alg.startsWith('RS')) throw new TypeError(`weak keys are only made for RS* (got ${alg})`)
			const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength })
			return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) as JWK }
		}
		const { privateKey, publicKey } = await generateKeyPair(alg, {
			extractable: true,
			modulusLength,
			crv: defaultCurve[alg],
		})
		return { privateKey, publicJwk: await exportJWK(publicKey) }
	}

	const createKey = async (
		alg: SigningAlgorithm,
		keyOptions: CreateKeyOptions = {},
	): Promise<SigningKey> => {
		const { privateKey, publicJwk: exported } = await generate(alg, keyOptions.modulusLength)
		const kid = keyOptions.kid ?? `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`
		const publicJwk: JWK = { ...exported, kid, alg, use: 'sig', ...keyOptions.jwk }
		const key: SigningKey = { kid, alg, privateKey, publicJwk }
		if (keyOptions.publish ?? true) published.push(key)
		return key
	}

	try {
		for (const alg of options.algorithms ?? ['RS256', 'ES256']) await createKey(alg)
	} catch (error) {
		// A key that cannot be made (an algorithm jose does not know) must not leave the port open.
		await server.close()
		throw error
	}

	const newestFor = (alg: SigningAlgorithm): SigningKey | undefined =>
		published.findLast((key) => key.alg === alg)

	return {
		issuer,
		jwksUri: `${issuer}${jwksPath}`,
		discoveryUri: `${issuer}${discoveryPath}`,
		async sign(claims = {}, signOptions = {}) {
			const alg = signOptions.key?.alg ?? signOptions.alg ?? 'RS256'
			const key = signOptions.key ?? newestFor(alg) ?? (await createKey(alg))
			const iat = Math.floor(now() / 1000)
			const expiresInSec = signOptions.expiresInSec === undefined ? 3600 : signOptions.expiresInSec
			const payload: JWTPayload = {
				iss: issuer,
				iat,
				...(expiresInSec === null ? {} : { exp: iat + expiresInSec }),
				jti: randomUUID(),
				...claims,
			}
			for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name]
			const header: Record<string, unknown> = { alg: key.alg, kid: key.kid, ...signOptions.header }
			for (const name of Object.keys(header)) if (header[name] === undefined) delete header[name]
			if (isKeyObject(key.privateKey))
				return signWithKeyObject(header, payload, key.privateKey, key.alg)
			return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
		},
		createKey,
		async rotateKeys(rotateOptions = {}) {
			const algorithms = [...new Set(published.map((key) => key.alg))]
			if (!rotateOptions.keepPrevious) published.length = 0
			for (const alg of algorithms) await createKey(alg)
		},
		unpublish(kid) {
			const index = published.findIndex((key) => key.kid === kid)
			if (index !== -1) published.splice(index, 1)
		},
		jwks,
		jwksCalls: () => jwksCalls,
		discoveryCalls: () => discoveryCalls,
		resetCalls() {
			jwksCalls = 0
			discoveryCalls = 0
		},
		faults,
		async stop() {
			stopping.abort()
			await server.close()
		},
	}
}
