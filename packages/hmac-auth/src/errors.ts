import { TenantryError } from '@tenantry/util'

export const packageName = '@tenantry/hmac-auth'

/**
 * Base of every reason this package rejects a request for. Reasons travel as the `cause` of
 * the public error: logged by `@middy/http-error-handler`, never sent. None of them carries a
 * secret, a signature or raw header values.
 */
export class HmacAuthError extends TenantryError {
	/** The tenant the request named, once its id passed the tenant id pattern. */
	readonly tenantId: string | undefined

	constructor(code: string, message: string, options: { cause?: unknown; tenantId?: string } = {}) {
		super(
			packageName,
			code,
			message,
			options.cause === undefined ? undefined : { cause: options.cause },
		)
		this.tenantId = options.tenantId
	}
}

/** A credential header is missing or empty. */
export class MissingCredentialsError extends HmacAuthError {
	constructor(header: string, cause?: unknown) {
		super('hmac_missing_credentials', `missing or empty ${header}`, { cause })
	}
}

/** The tenant id does not match `tenantIdPattern`; it was used for nothing. */
export class InvalidTenantIdError extends HmacAuthError {
	constructor() {
		super('hmac_invalid_tenant_id', 'tenant id does not match tenantIdPattern')
	}
}

/** The timestamp is neither `YYYY-MM-DDTHH:MM:SS[.fff]Z` nor Unix seconds (as the scheme asks). */
export class MalformedTimestampError extends HmacAuthError {
	constructor() {
		super('hmac_malformed_timestamp', 'timestamp is malformed')
	}
}

/** The timestamp is `toleranceSec` or more away from now, in the past or the future. */
export class TimestampOutOfToleranceError extends HmacAuthError {
	/** Request time minus server time, in whole seconds (negative: in the past). */
	readonly skewSec: number

	/** @param tenantId the signer, once its id passed the tenant id rule: a drifting clock is one sender's. */
	constructor(skewSec: number, tenantId?: string) {
		super(
			'hmac_timestamp_out_of_tolerance',
			`timestamp is ${Math.abs(skewSec)} s in the ${skewSec < 0 ? 'past' : 'future'}`,
			{ tenantId },
		)
		this.skewSec = skewSec
	}
}

/** The signature header does not have the scheme's encoding or length. */
export class MalformedSignatureError extends HmacAuthError {
	constructor() {
		super('hmac_malformed_signature', 'signature is malformed')
	}
}

/** No presented signature matches any of the tenant's secrets. */
export class SignatureMismatchError extends HmacAuthError {
	constructor(tenantId: string) {
		super('hmac_signature_mismatch', 'signature does not match', { tenantId })
	}
}

/** The tenant has no secret (Secrets Manager `ResourceNotFoundException`, or `NotFoundError`). */
export class UnknownTenantError extends HmacAuthError {
	constructor(tenantId: string) {
		super('hmac_unknown_tenant', 'tenant has no secret', { tenantId })
	}
}

/** The same signed request was already accepted within the tolerance window. */
export class ReplayedRequestError extends HmacAuthError {
	constructor(tenantId: string) {
		super('hmac_replayed_request', 'request was already accepted once', { tenantId })
	}
}

/** The custom scheme's `canonicalize` threw. */
export class CanonicalizeError extends HmacAuthError {
	constructor(cause: unknown) {
		super('hmac_canonicalize_failed', 'custom scheme canonicalize threw', { cause })
	}
}

/** The body is larger than `maxBodyBytes`; nothing was hashed. */
export class BodyTooLargeError extends HmacAuthError {
	constructor(maxBodyBytes: number) {
		super('hmac_body_too_large', `body exceeds maxBodyBytes (${maxBodyBytes})`)
	}
}

/** `event.body` is no longer the raw string: a body parser ran first. */
export class BodyAlreadyParsedError extends HmacAuthError {
	constructor() {
		super('hmac_body_already_parsed', 'event.body is not the raw body string')
	}
}

/** The tenant's stored secret does not have the expected shape. Names fields, never values. */
export class SecretFormatError extends HmacAuthError {
	constructor(tenantId: string, problem: string) {
		super('hmac_secret_malformed', `secret of tenant '${tenantId}' ${problem}`, { tenantId })
	}
}

/**
 * The secret could not be fetched (throttled, 5xx, timeout, network, access denied) and no
 * cached copy was usable. Only the SDK error's name and HTTP status are kept: SDK errors
 * can hold the raw response, which for a half-read `GetSecretValue` holds secret bytes.
 */
export class SecretUnavailableError extends HmacAuthError {
	constructor(tenantId: string, detail: string) {
		super('hmac_secret_unavailable', `secret of tenant '${tenantId}' unavailable: ${detail}`, {
			tenantId,
		})
	}
}

/** The replay store failed; the request is not accepted without it. */
export class ReplayStoreUnavailableError extends HmacAuthError {
	constructor(tenantId: string, detail: string) {
		super('hmac_replay_store_unavailable', `replay store unavailable: ${detail}`, { tenantId })
	}
}

/** `name (HTTP status)` of an SDK or other error, without its message or response. */
export const describeFailure = (error: unknown): string => {
	if (!(error instanceof Error)) return typeof error
	const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode
	return typeof status === 'number' ? `${error.name} (HTTP ${status})` : error.name
}

/** A Standard Webhooks `webhook-id` that is overlong or not printable ASCII. */
export class MalformedMessageIdError extends HmacAuthError {
	constructor() {
		super('hmac_malformed_message_id', 'message id is malformed')
	}
}
