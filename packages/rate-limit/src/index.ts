// Named from here too, for users' declarations (pnpm hides @tenantry/util from them).
export type { DynamoDBClientLike } from '@tenantry/util'
export {
	type DynamoRateLimitStoreOptions,
	dynamoRateLimitStore,
	dynamoRateLimitStoreDefaults,
} from './dynamo-store.js'
export {
	RateLimitExceededError,
	RateLimitPlanTimeoutError,
	RateLimitStoreAnswerError,
	RateLimitStoreError,
} from './errors.js'
export { rateLimitHeaders } from './headers.js'
export {
	type MemoryRateLimitStoreOptions,
	memoryRateLimitStore,
	memoryRateLimitStoreDefaults,
} from './memory-store.js'
export { tenantRateLimit } from './middleware.js'
export { defaults, type RateLimit, type TenantRateLimitOptions } from './options.js'
export type { ConsumeRequest, ConsumeResult, RateLimitStore } from './store.js'
