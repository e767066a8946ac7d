/**
 * Letters, digits, `_` and `-`, starting with a letter or digit, at most 64 characters:
 * safe inside a secret name, a cache key, a DynamoDB key and a log line.
 */
export const DEFAULT_TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

export const isValidTenantId = (
	value: unknown,
	pattern: RegExp = DEFAULT_TENANT_ID_PATTERN,
): value is string => typeof value === 'string' && value.length <= 256 && pattern.test(value)

/**
 * Anchors a user-supplied pattern as a whole, so `/[a-z]+/` or `/^a|b$/` cannot accept
 * `evil/../tenant`; stateful flags are dropped because `lastIndex` would make `test` flaky.
 */
export const anchorPattern = (pattern: RegExp): RegExp =>
	new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gym]/g, ''))
