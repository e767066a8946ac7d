export { albMultiValueHeaders } from './alb-multi-value-headers.js'
export type { AuthContextBase, WithAuth } from './auth-context.js'
export type { DynamoDBClientLike } from './dynamo-client-like.js'
export { isConditionalCheckFailed } from './dynamo-errors.js'
export { hasOnlyExactNumbers } from './exact-numbers.js'
export { failureName } from './failure-name.js'
export {
	getCookie,
	getHeader,
	getHeaderOfRecord,
	type HeaderSource,
	namesField,
} from './headers.js'
export {
	forbidden,
	HttpError,
	type HttpErrorOptions,
	isHttpError,
	misconfigured,
	payloadTooLarge,
	serviceUnavailable,
	tooManyRequests,
	unauthorized,
} from './http-error.js'
export { type HttpEventLike, methodOf, pathOf, requestIdOf } from './http-event.js'
export {
	assertKnownKeys,
	assertOption,
	isDynamoTableName,
	isNonNegativeNumber,
	isPlainObject,
	isPositiveInteger,
	isRetryAfterSec,
	longestTimerMs,
	maxRetryAfterSec,
	optionError,
	sdkClientProblem,
	serviceIdOf,
	withoutUndefined,
} from './options.js'
export { own } from './own.js'
export { isAsyncFunction, isPromiseLike, returnedPromise } from './promise-like.js'
export { quietClientErrors } from './quiet-client-errors.js'
export { describeRefusal, logHttpError, type RefusalFacts } from './refusal-log.js'
export { withoutRawExchange } from './sdk-error-copy.js'
export {
	createTenantContext,
	isValidatedTenantContext,
	type TenantContext,
	TenantKeyError,
	tenantKey,
	tenantKeyPrefix,
	type WithTenant,
} from './tenant-context.js'
export { anchorPattern, DEFAULT_TENANT_ID_PATTERN, isValidTenantId } from './tenant-id.js'
export {
	clip,
	logViolation,
	reportViolation,
	type TenantViolation,
	type ViolationReporter,
} from './tenant-violation.js'
export { TenantryError } from './tenantry-error.js'
export { createTickClock } from './tick-clock.js'
export {
	annotate,
	annotateTenant,
	attemptTracerCall,
	isTracerLike,
	type SegmentLike,
	type SubsegmentLike,
	type TracerLike,
	traced,
} from './tracer.js'
