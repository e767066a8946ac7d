export { NotFoundError } from '@tenantry/cache'
// Named from here too, for users' declarations (pnpm hides @tenantry/util from them).
export type { DynamoDBClientLike } from '@tenantry/util'
export type { SignatureEncoding } from './encoding.js'
export {
	BodyAlreadyParsedError,
	BodyTooLargeError,
	CanonicalizeError,
	HmacAuthError,
	InvalidTenantIdError,
	MalformedMessageIdError,
	MalformedSignatureError,
	MalformedTimestampError,
	MissingCredentialsError,
	ReplayedRequestError,
	ReplayStoreUnavailableError,
	SecretFormatError,
	SecretUnavailableError,
	SignatureMismatchError,
	TimestampOutOfToleranceError,
	UnknownTenantError,
} from './errors.js'
export { type HmacAuth, hmacAuth, type WithHmacAuth } from './middleware.js'
export {
	defaultClientConfig,
	defaults,
	type HmacAuthHeaders,
	type HmacAuthOptions,
	type HmacCacheOptions,
	type SchemeName,
	type SecretsManagerSecrets,
} from './options.js'
export {
	type DynamoReplayStoreOptions,
	dynamoReplayStore,
	type ReplayClaim,
	type ReplayStore,
	replayStoreDefaults,
} from './replay-store.js'
export type { CanonicalRequest, CustomScheme, SchemeRequest } from './schemes/custom.js'
export type { HmacAlgorithm } from './schemes/scheme.js'
export type { SecretFunction } from './secret-source.js'
export { type SignRequestOptions, signRequest } from './sign-request.js'
