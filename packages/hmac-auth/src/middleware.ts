import type { KeyObject } from 'node:crypto'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { MiddlewareObj, Request } from '@middy/core'
import { isNotFound } from '@tenantry/cache'
import {
	type AuthContextBase,
	annotateTenant,
	type HttpError,
	type HttpEventLike,
	isHttpError,
	isPromiseLike,
	isValidTenantId,
	misconfigured,
	returnedPromise,
	serviceUnavailable,
	unauthorized,
	type WithAuth,
} from '@tenantry/util'
import type { Context } from 'aws-lambda'
import {
	describeFailure,
	type HmacAuthError,
	InvalidTenantIdError,
	MissingCredentialsError,
	packageName,
	ReplayedRequestError,
	ReplayStoreUnavailableError,
	SecretFormatError,
	SecretUnavailableError,
	SignatureMismatchError,
	TimestampOutOfToleranceError,
	UnknownTenantError,
} from './errors.js'
import {
	defaultClientConfig,
	defaults,
	type HmacAuthOptions,
	type ResolvedOptions,
	resolveOptions,
} from './options.js'
import { readRawBody } from './raw-body.js'
import type { ReplayClaim } from './replay-store.js'
import type { ParsedRequest } from './schemes/scheme.js'
import { functionSource, type SecretSourceAdapter, secretsManagerSource } from './secret-source.js'
import { type CachedKeys, createSecretStore } from './secret-store.js'
import { verifyWith } from './verify.js'

const { createHash, createSecretKey, randomBytes, randomUUID } =
	process.getBuiltinModule('node:crypto')

/** HMACs a rejected signature costs: as many as a tenant in a rotation (two secrets) tries. */
const rejectionHmacs = 2

/**
 * Whether a refetch brought back the keys already tried, in order. A secrets function has no
 * version ids: without this, a tenant holding two secrets would try them twice on each refetch,
 * costing more HMACs than an unknown tenant and telling it apart. (`equals` is not constant
 * time; both sides are the tenant's own secrets, nothing a request supplies.)
 */
const sameKeys = (tried: readonly KeyObject[], latest: readonly KeyObject[]): boolean =>
	tried.length === latest.length &&
	tried.every((key, index) => key.equals(latest[index] as KeyObject))

/** What `hmacAuth` puts on `context.auth`. */
export interface HmacAuth extends AuthContextBase {
	readonly method: 'hmac'
	readonly tenantId: string
}

/**
 * The context addition of `hmacAuth`: `context.auth`. Named and exported so that a user's emitted
 * declarations (`declaration: true`) can name it without a dependency on `@tenantry/util`.
 */
export type WithHmacAuth = WithAuth<HmacAuth>

type HmacContext = Context & WithHmacAuth
type HmacRequest = Request<unknown, unknown, Error, HmacContext>

/** The replay claim a request made, kept on the middy request under each instance's own key. */
type ClaimingRequest = Record<symbol, ReplayClaim | undefined>

/** The HTTP status a response or an error carries, if any. */
const statusOf = (value: unknown): unknown =>
	(value as { statusCode?: unknown } | null | undefined)?.statusCode

const sourceOf = (config: ResolvedOptions): SecretSourceAdapter => {
	const { secrets } = config
	if (secrets.kind === 'function') return functionSource(secrets.load)
	const client = secrets.client ?? new SecretsManagerClient(defaultClientConfig)
	return secretsManagerSource({ ...secrets, client, tracer: config.tracer })
}

/**
 * Authenticates a request by an HMAC of its raw body under the tenant's secret. Every bad
 * credential gets the same 401 with `WWW-Authenticate`; an unusable secret store or replay
 * store gets 503 with `Retry-After`; a body over `maxBodyBytes` gets 413. On success,
 * `context.auth` is `{ method: 'hmac', tenantId }`.
 *
 * `.use()` it before `@middy/http-json-body-parser`: it needs the body as received.
 */
export const hmacAuth = (
	options: HmacAuthOptions = {},
): MiddlewareObj<unknown, unknown, Error, HmacContext> => {
	const config = resolveOptions(options)
	const claimKey = Symbol('@tenantry/hmac-auth replay claim')
	const {
		scheme,
		replayStore,
		replayRetentionMs,
		releaseReplayOnServerError,
		tracer,
		toleranceMs,
		maxBodyBytes,
		tenantIdPattern,
		tenantIdFrom,
	} = config
	const { algorithm } = scheme
	// `Date` is looked up on each call, so fake timers installed after the factory apply.
	const now = config.now ?? (() => Date.now())
	const secrets = createSecretStore({
		source: sourceOf(config),
		scheme,
		...config.cache,
		now: config.now,
	})
	// Every rejected signature costs as many HMACs over the content as a tenant holding two
	// secrets (a rotation) spends, padded with a random key: an unknown or invalid tenant, or a
	// known one with a single secret, must not answer faster.
	const decoyKey = createSecretKey(randomBytes(scheme.digestBytes))
	const decoyKeys = Array.from({ length: rejectionHmacs }, () => decoyKey)
	const padRejection = (parsed: ParsedRequest, hmacs: number): void => {
		if (hmacs < rejectionHmacs) verifyWith(algorithm, decoyKeys.slice(hmacs), parsed)
	}
	const tenantLabel = options.tenantIdFrom
		? 'tenant id from tenantIdFrom'
		: `header '${(options.headers?.tenantId ?? defaults.headers.tenantry.tenantId).toLowerCase()}'`

	const reject = (reason: HmacAuthError) => unauthorized(scheme.challenge, reason)
	const unavailable = (reason: HmacAuthError) => serviceUnavailable(config.retryAfterSec, reason)

	const accept = (request: HmacRequest, tenantId: string): void => {
		request.context.auth = { method: 'hmac', tenantId }
		annotateTenant(tracer, tenantId)
	}

	const load = async (
		fetch: () => Promise<CachedKeys>,
		tenantId: string,
		parsed: ParsedRequest,
	): Promise<CachedKeys> => {
		try {
			return await fetch()
		} catch (error) {
			if (isNotFound(error)) {
				padRejection(parsed, 0)
				throw reject(new UnknownTenantError(tenantId))
			}
			if (error instanceof SecretUnavailableError) throw unavailable(error)
			throw error
		}
	}

	const finish = async (
		request: HmacRequest,
		tenantId: string,
		parsed: ParsedRequest,
		at: number,
	): Promise<void> => {
		if (replayStore !== undefined) {
			// The signed content identifies the message: a replay cannot vary it (unlike an unsigned
			// header), and it is the same whichever of the tenant's secrets signed it or is current.
			const hash = createHash('sha256')
			if (parsed.replayId === undefined) {
				hash.update('content:')
				for (const piece of parsed.content) hash.update(piece)
			} else hash.update(`id:${parsed.replayId}`)
			// A timestamped request can only come back while its timestamp is accepted; one without
			// a timestamp at any time, so it is remembered for the retention.
			const claim: ReplayClaim = {
				tenantId,
				id: hash.digest('hex'),
				expiresAt: Math.ceil(
					(parsed.timestampMs === undefined
						? at + replayRetentionMs
						: parsed.timestampMs + toleranceMs) / 1000,
				),
				// A record of a timestamped request never counts as expired while the timestamp is
				// accepted here: its writer may have run with a smaller toleranceSec (a deploy that
				// raised it), and its record expire while this container still accepts the replay.
				now: Math.floor(Math.min(at, parsed.timestampMs ?? at) / 1000),
				token: randomUUID(),
			}
			let first: boolean
			try {
				first = await replayStore.claim(claim)
			} catch (error) {
				throw unavailable(new ReplayStoreUnavailableError(tenantId, describeFailure(error)))
			}
			if (!first) throw reject(new ReplayedRequestError(tenantId))
			if (releaseReplayOnServerError) (request as unknown as ClaimingRequest)[claimKey] = claim
		}
		accept(request, tenantId)
	}

	/**
	 * With `releaseReplayOnServerError`: a request whose claim succeeded but which was then
	 * answered 5xx (thrown, an error that is not an HTTP one, or returned) has its claim
	 * released, so that the sender's identical retry, which a 503 with `Retry-After` invites, is
	 * processed rather than refused as a replay. A 4xx answer stands: a retry would get it again.
	 */
	const releaseIfServerError = async (request: HmacRequest, status: unknown): Promise<void> => {
		const claim = (request as unknown as ClaimingRequest)[claimKey]
		if (claim === undefined || replayStore?.release === undefined) return
		;(request as unknown as ClaimingRequest)[claimKey] = undefined
		if (typeof status === 'number' && status < 500) return
		try {
			await replayStore.release(claim)
		} catch {
			// The store is down: the retry is refused as a replay, as without a release.
		}
	}

	// The answer decides, not the error: an inner onError may have answered it (a 202 "queued").
	const onError = (request: HmacRequest): Promise<void> =>
		releaseIfServerError(request, statusOf(request.response) ?? statusOf(request.error))

	const after = (request: HmacRequest): Promise<void> | undefined => {
		const status = statusOf(request.response)
		return typeof status === 'number' && status >= 500
			? releaseIfServerError(request, status)
			: undefined
	}

	/**
	 * An unknown tenant is treated like a mismatch on a known one: its remembered "not found" is
	 * re-checked once it is older than the grace, so both cost the same Secrets Manager round
	 * trips and response time does not tell which tenants exist.
	 */
	const currentOrRefetched = async (tenantId: string): Promise<CachedKeys> => {
		try {
			return await secrets.get(tenantId)
		} catch (error) {
			if (isNotFound(error)) return secrets.refetch(tenantId)
			throw error
		}
	}

	/**
	 * The cold path and every mismatch: load the secret, then on a mismatch refetch it once if
	 * it is older than the grace (a rotation may have happened), then try the `AWSPREVIOUS`
	 * version when the JSON named no previous secret.
	 */
	const recover = async (
		request: HmacRequest,
		tenantId: string,
		parsed: ParsedRequest,
		tried: CachedKeys | undefined,
		at: number,
	): Promise<void> => {
		let keys = tried ?? (await load(() => currentOrRefetched(tenantId), tenantId, parsed))
		// HMACs computed so far: the warm path tried the cached keys, a first load is tried here.
		let hmacs = keys instanceof SecretFormatError ? 0 : keys.keys.length
		let verified =
			tried === undefined &&
			!(keys instanceof SecretFormatError) &&
			verifyWith(algorithm, keys.keys, parsed)
		// The current secret could not be re-read: unless the previous one verifies, the mismatch
		// may be a secret rotated in meanwhile, so it is an outage (503), not bad credentials.
		let refetchFailure: HttpError | undefined
		if (!verified) {
			let latest: CachedKeys = keys
			try {
				latest = await load(() => secrets.refetch(tenantId), tenantId, parsed)
			} catch (error) {
				if (!isHttpError(error) || error.statusCode !== 503) throw error
				refetchFailure = error
			}
			if (latest !== keys) {
				if (!(latest instanceof SecretFormatError)) {
					// The version, or the very keys, already tried: nothing new to try.
					const alreadyTried =
						!(keys instanceof SecretFormatError) &&
						((latest.versionId !== undefined && latest.versionId === keys.versionId) ||
							sameKeys(keys.keys, latest.keys))
					if (!(keys instanceof SecretFormatError) && latest.versionId !== keys.versionId)
						secrets.forgetPrevious(tenantId, keys.versionId)
					if (!alreadyTried) {
						hmacs += latest.keys.length
						verified = verifyWith(algorithm, latest.keys, parsed)
					}
				}
				keys = latest
			}
		}
		// A malformed secret that could not be re-read may have been fixed meanwhile.
		if (keys instanceof SecretFormatError)
			throw refetchFailure ?? misconfigured(`${packageName}: ${keys.message}`, keys)
		if (!verified && at < keys.previousUntil) {
			let previous: Awaited<ReturnType<typeof secrets.previous>>
			try {
				previous = await secrets.previous(tenantId, keys.versionId)
			} catch (error) {
				if (error instanceof SecretUnavailableError) throw unavailable(error)
				throw error
			}
			hmacs += previous.length
			verified = verifyWith(algorithm, previous, parsed)
		}
		if (!verified) {
			if (refetchFailure !== undefined) throw refetchFailure
			padRejection(parsed, hmacs)
			throw reject(new SignatureMismatchError(tenantId))
		}
		await finish(request, tenantId, parsed, at)
	}

	const before = (request: HmacRequest): Promise<void> | undefined => {
		const event = (
			typeof request.event === 'object' && request.event !== null ? request.event : {}
		) as HttpEventLike
		const body = readRawBody(event, maxBodyBytes)
		let parsed: ParsedRequest
		try {
			parsed = scheme.parse(event, body)
		} catch (reason) {
			if (isHttpError(reason)) throw reason
			throw reject(reason as HmacAuthError)
		}
		let tenantId: string | undefined
		try {
			tenantId = tenantIdFrom(event)
		} catch (error) {
			throw reject(new MissingCredentialsError(tenantLabel, error))
		}
		if (isPromiseLike(tenantId)) throw returnedPromise(packageName, 'tenantIdFrom', tenantId)
		if (typeof tenantId !== 'string' || tenantId === '')
			throw reject(new MissingCredentialsError(tenantLabel))
		const at = now()
		if (parsed.timestampMs !== undefined) {
			const skewMs = parsed.timestampMs - at
			if (!(skewMs > -toleranceMs && skewMs < toleranceMs))
				throw reject(
					new TimestampOutOfToleranceError(
						Math.trunc(skewMs / 1000),
						// An id that fails the rule is attacker text, kept out of the logs.
						isValidTenantId(tenantId, tenantIdPattern) ? tenantId : undefined,
					),
				)
		}
		if (!isValidTenantId(tenantId, tenantIdPattern)) {
			padRejection(parsed, 0)
			throw reject(new InvalidTenantIdError())
		}
		const cached = secrets.lookup(tenantId)
		if (cached === undefined || cached instanceof SecretFormatError)
			return recover(request, tenantId, parsed, cached, at)
		if (!verifyWith(algorithm, cached.keys, parsed))
			return recover(request, tenantId, parsed, cached, at)
		if (replayStore !== undefined) return finish(request, tenantId, parsed, at)
		accept(request, tenantId)
		return undefined
	}

	// Only with the option: the warm path of everyone else keeps a single hook.
	return releaseReplayOnServerError
		? { name: 'hmacAuth', before, after, onError }
		: { name: 'hmacAuth', before }
}
