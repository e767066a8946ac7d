import { isHttpError, serviceUnavailable, withoutRawExchange } from '@tenantry/util'
import { AwsServiceUnavailableError } from './errors.js'
import { operationOf } from './middleware-stack.js'

/** How the SDK marks what went wrong with a call (`@smithy/types` `SdkError`). */
interface SdkErrorFields {
	name?: unknown
	code?: unknown
	$fault?: unknown
	$metadata?: { httpStatusCode?: unknown }
	$retryable?: { throttling?: unknown }
	/** DynamoDB's `TransactionCanceledException`: why each item of the transaction failed. */
	CancellationReasons?: unknown
}

/** Error names AWS services use when they shed load, as the SDK's retry strategy knows them. */
const throttlingNames = new Set([
	'BandwidthLimitExceeded',
	'EC2ThrottledException',
	'LimitExceededException',
	'PriorRequestNotComplete',
	'ProvisionedThroughputExceededException',
	'RequestLimitExceeded',
	'RequestThrottled',
	'RequestThrottledException',
	'SlowDown',
	'ThrottledException',
	'Throttling',
	'ThrottlingException',
	'TooManyRequestsException',
	'TransactionInProgressException',
])
/**
 * KMS throttling a service's use of a customer managed key on the caller's behalf (an SNS topic's
 * or an SQS queue's encryption): a 400 that the SDK does not count as throttling, nor retry, but
 * a wait all the same.
 */
const keyThrottlingNames = new Set(['KMSThrottlingException', 'KmsThrottled'])
const timeoutNames = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'])
/**
 * DynamoDB's answer to a write (PutItem, UpdateItem, DeleteItem; a plain read never conflicts)
 * of an item that a transaction holds at that moment: the same request succeeds once the
 * transaction ends, but the SDK does not retry it.
 */
const contentionNames = new Set(['TransactionConflictException'])
/**
 * A session that expired while the request was on its way (a tenant session used to its last
 * second with `refreshBeforeExpiryMs: 0`): the SDK does not retry it, and the next request's
 * credentials are new ones.
 */
const expiredSessionNames = new Set(['ExpiredTokenException', 'ExpiredToken'])
/**
 * Node's errors for an endpoint that cannot be reached or drops the connection. Not
 * `ENOTFOUND`: a host name that does not resolve is a configuration to fix, not a wait.
 */
const networkCodes = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'EPIPE',
	'ETIMEDOUT',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EAI_AGAIN',
])
/** 5xx answers about the request itself: a feature or HTTP version the service does not support. */
const requestStatuses = new Set([501, 505])
/**
 * Cancellation reasons of a DynamoDB transaction that was throttled, or met another transaction
 * on one of its items, rather than refused.
 */
const transientReasons = new Set([
	'ThrottlingError',
	'ProvisionedThroughputExceeded',
	'TransactionConflict',
	'None',
])

/**
 * A DynamoDB transaction cancelled only because it was throttled or met another transaction:
 * DynamoDB answers that with a `TransactionCanceledException` (400) that the SDK does not retry,
 * the cause named only in its reasons. One reason of the request's own (a failed condition)
 * makes it the request's.
 */
const isTransientTransaction = (reasons: unknown): boolean =>
	Array.isArray(reasons) &&
	reasons.some((reason) => (reason as { Code?: unknown })?.Code !== 'None') &&
	reasons.every((reason) => transientReasons.has((reason as { Code?: unknown })?.Code as string))

/**
 * Whether an error from `send()` means the service is unavailable rather than that the request
 * was wrong: a 5xx (but 501 and 505), throttling (a throttled DynamoDB transaction too, and KMS
 * throttling another service's use of a key), an item a DynamoDB transaction holds, an error the
 * service models as retryable, an expired session, a timeout, a network error, or a 2xx answer
 * the SDK could not read. A client error (validation, a failed condition, access denied, a
 * missing table or host) is not.
 */
export const isServiceOutage = (error: unknown): boolean => {
	if (!(error instanceof Error) || isHttpError(error)) return false
	const { name, code, $fault, $metadata, $retryable, CancellationReasons } = error as SdkErrorFields
	const status = typeof $metadata?.httpStatusCode === 'number' ? $metadata.httpStatusCode : 0
	if (requestStatuses.has(status)) return false
	return (
		$fault === 'server' ||
		status >= 500 ||
		status === 429 ||
		(status >= 200 && status < 300) ||
		// The service models the error as retryable (DynamoDB's ReplicatedWriteConflictException:
		// the item is being written in another Region): what the SDK's retries leave is a wait.
		(typeof $retryable === 'object' && $retryable !== null) ||
		throttlingNames.has(name as string) ||
		keyThrottlingNames.has(name as string) ||
		timeoutNames.has(name as string) ||
		contentionNames.has(name as string) ||
		expiredSessionNames.has(name as string) ||
		networkCodes.has(code as string) ||
		(name === 'TransactionCanceledException' && isTransientTransaction(CancellationReasons))
	)
}

/** What a tenant client's `send()` rejects with instead of `error`, the SDK's for `commandName`. */
export type ServiceErrorAnswer = (error: unknown, commandName: unknown) => never

/**
 * How a client's `send()` rejects. With a 503 (`Retry-After`) when the service is unavailable,
 * after the SDK's own retries: `@middy/http-error-handler` answers it as such, where the SDK's
 * error would be a 500. Applied in the `initialize` step (by the request binding's entry), so it
 * sees what the retries leave. Any other error (and every one with `outages: false`, no
 * `retryAfterSec`) rejects as a copy without its raw HTTP exchange: the error handler logs it as
 * a 500, and through `$response`'s socket a logger printing hidden properties would print the
 * signed request, the tenant session's token included. The copy keeps class, name, message and
 * `$metadata` for the handler's own checks.
 */
export const answerServiceErrors =
	(retryAfterSec: number | undefined): ServiceErrorAnswer =>
	(error, commandName) => {
		if (retryAfterSec === undefined || !isServiceOutage(error)) throw withoutRawExchange(error)
		throw serviceUnavailable(
			retryAfterSec,
			new AwsServiceUnavailableError(operationOf(commandName) || 'unknown', error),
		)
	}
