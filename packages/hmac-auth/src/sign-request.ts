import { assertKnownKeys, assertOption, isPlainObject, isValidTenantId } from '@tenantry/util'
import { packageName } from './errors.js'
import type { SchemeName } from './options.js'
import { decodeWhsecSecret } from './schemes/whsec.js'
import { formatIsoSeconds, parseTimestamp, parseUnixSeconds } from './timestamp.js'

const { createHmac, randomBytes } = process.getBuiltinModule('node:crypto')

export interface SignRequestOptions {
	/** The tenant's secret: any string for `tenantry`, `whsec_…` for `standard-webhooks`. */
	secret: string
	/** The body exactly as it will be sent. */
	body: string | Buffer
	/**
	 * Default now. A `Date` is written as ISO-8601 UTC seconds (`tenantry`) or Unix seconds
	 * (`standard-webhooks`), a number as Unix seconds (not milliseconds: `Date.now()` is refused),
	 * a string as is; each is checked to be one hmacAuth reads.
	 */
	timestamp?: Date | number | string | undefined
	/** Default `tenantry`. */
	scheme?: SchemeName | undefined
	/** `standard-webhooks` message id. Default `msg_` + 24 random characters. */
	id?: string | undefined
	/** Adds `x-tenant-id`. */
	tenantId?: string | undefined
}

const known = ['secret', 'body', 'timestamp', 'scheme', 'id', 'tenantId']

const check: (condition: unknown, option: string, problem: string) => asserts condition = (
	condition,
	option,
	problem,
) => assertOption(condition, packageName, `signRequest.${option}`, problem)

const epochSecondsOf = (timestamp: Date | number): number => {
	const seconds = timestamp instanceof Date ? timestamp.getTime() / 1000 : timestamp
	check(Number.isFinite(seconds) && seconds > 0, 'timestamp', 'must be a valid time')
	return Math.floor(seconds)
}

/** Whether hmacAuth reads the timestamp text, rather than refusing it as malformed. */
const readable = (text: string, webhooks: boolean): boolean =>
	(webhooks ? parseUnixSeconds(text) : parseTimestamp(text)) !== undefined

const timestampText = (options: SignRequestOptions, webhooks: boolean): string => {
	const { timestamp } = options
	if (typeof timestamp === 'string') {
		check(
			readable(timestamp, webhooks),
			'timestamp',
			webhooks ? 'must be Unix seconds' : 'must be ISO-8601 UTC (…Z) or Unix seconds',
		)
		return timestamp
	}
	const seconds = epochSecondsOf(timestamp ?? new Date())
	const text =
		webhooks || typeof timestamp === 'number' ? String(seconds) : formatIsoSeconds(seconds * 1000)
	// Milliseconds given as seconds (`Date.now()`), or a Date past year 9999, would be written in a
	// form hmacAuth refuses: every request of that client a 401, with nothing to tell it why.
	check(
		readable(text, webhooks),
		'timestamp',
		'must be Unix seconds (not milliseconds), or a Date hmacAuth reads back (tenantry: up to year 9999)',
	)
	return text
}

/**
 * The headers a client sends: `x-timestamp` and `x-signature` (plus `x-tenant-id` when given)
 * for the default scheme, `webhook-id`, `webhook-timestamp` and `webhook-signature` for
 * Standard Webhooks. For clients, test suites and local tools.
 */
export const signRequest = (options: SignRequestOptions): Record<string, string> => {
	check(isPlainObject(options), 'options', 'must be an object')
	assertKnownKeys(packageName, 'signRequest', options as unknown as Record<string, unknown>, known)
	const { secret, body, tenantId } = options
	const scheme = options.scheme ?? 'tenantry'
	check(
		scheme === 'tenantry' || scheme === 'standard-webhooks',
		'scheme',
		"must be 'tenantry' or 'standard-webhooks'",
	)
	check(typeof body === 'string' || Buffer.isBuffer(body), 'body', 'must be a string or a Buffer')
	check(
		tenantId === undefined || isValidTenantId(tenantId),
		'tenantId',
		'must be a valid tenant id',
	)
	const tenantHeader: Record<string, string> =
		tenantId === undefined ? {} : { 'x-tenant-id': tenantId }

	if (scheme === 'tenantry') {
		check(typeof secret === 'string' && secret.length > 0, 'secret', 'must be a non-empty string')
		check(options.id === undefined, 'id', "applies to 'standard-webhooks' only")
		const timestamp = timestampText(options, false)
		const signature = createHmac('sha256', secret)
			.update(`${timestamp}\n`)
			.update(body)
			.digest('hex')
		return { ...tenantHeader, 'x-timestamp': timestamp, 'x-signature': signature }
	}

	const key = typeof secret === 'string' ? decodeWhsecSecret(secret) : undefined
	check(key !== undefined, 'secret', "must be 'whsec_' + base64 of 24 to 64 bytes")
	const id = options.id ?? `msg_${randomBytes(18).toString('base64url')}`
	check(/^[\x21-\x7e]{1,256}$/.test(id), 'id', 'must be 1 to 256 printable ASCII characters')
	const timestamp = timestampText(options, true)
	const signature = createHmac('sha256', key)
		.update(`${id}.${timestamp}.`)
		.update(body)
		.digest('base64')
	return {
		...tenantHeader,
		'webhook-id': id,
		'webhook-timestamp': timestamp,
		'webhook-signature': `v1,${signature}`,
	}
}
