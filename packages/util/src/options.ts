/**
 * Throws the factory-time `TypeError` every Tenantry middleware uses for a bad option:
 * the message names the option, `cause` names the package and option for tooling.
 */
export const optionError = (packageName: string, option: string, problem: string): TypeError =>
	new TypeError(`${packageName}: option '${option}' ${problem}`, {
		cause: { package: packageName, option },
	})

export const assertOption: (
	condition: unknown,
	packageName: string,
	option: string,
	problem: string,
) => asserts condition = (condition, packageName, option, problem) => {
	if (!condition) throw optionError(packageName, option, problem)
}

/** The SDK's service id (`DynamoDB`, `STS`), read from a built client's resolved config. */
export const serviceIdOf = (client: object): string | undefined => {
	const config = (client as { config?: { serviceId?: unknown } | null }).config
	return typeof config?.serviceId === 'string' ? config.serviceId : undefined
}

/**
 * What is wrong with an option that must be an AWS SDK v3 client of one service, or `undefined`
 * when nothing is: it needs a `send` function, and a client that names its service
 * (`config.serviceId`, e.g. `'DynamoDB'`) must name that one. A client of another service sends
 * every command to the wrong endpoint, so every call fails at run time, which some options turn
 * into nothing done at all (a rate limit store under `onStoreError: 'allow'` limits nothing).
 */
export const sdkClientProblem = (
	value: unknown,
	/** The client it must be, with its article: `'a DynamoDBClient'`. */
	client: string,
	serviceId: string,
): string | undefined => {
	if (typeof value !== 'object' || value === null) return `must be ${client}`
	if (typeof (value as { send?: unknown }).send !== 'function') return `must be ${client}`
	const given = serviceIdOf(value)
	return given !== undefined && given !== serviceId
		? `must be ${client}, not a client of ${given}`
		: undefined
}

export const isPositiveInteger = (value: unknown): value is number =>
	typeof value === 'number' && Number.isSafeInteger(value) && value > 0

/**
 * The longest delay a Node timer (and so `AbortSignal.timeout`) holds: `setTimeout` turns a
 * longer one into 1 ms, so a timeout option above it would fail every wait at once.
 */
export const longestTimerMs = 2_147_483_647

/**
 * The longest `Retry-After` an option may set: a day. A longer wait is a misconfiguration that
 * clients would honour by giving up, and a large number prints in exponent form (`1e+21`),
 * which no client reads as delay-seconds.
 */
export const maxRetryAfterSec = 86_400

/** A `Retry-After` option: whole seconds from 1 to `maxRetryAfterSec`. */
export const isRetryAfterSec = (value: unknown): value is number =>
	isPositiveInteger(value) && value <= maxRetryAfterSec

export const isNonNegativeNumber = (value: unknown): value is number =>
	typeof value === 'number' && Number.isFinite(value) && value >= 0

/**
 * A name DynamoDB accepts as `TableName`: 3 to 255 of letters, digits, `_`, `.` and `-`, or a
 * table's ARN. Anything else (a blank, a line break read with an env var, a template placeholder
 * left unresolved) is a ValidationException on every request.
 */
export const isDynamoTableName = (value: unknown): value is string =>
	typeof value === 'string' &&
	(/^[\w.-]{3,255}$/.test(value) ||
		/^arn:aws[\w-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[\w.-]{3,255}$/.test(value))

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' &&
	value !== null &&
	(Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)

/** Rejects option keys the package does not know, so a typo fails loudly at cold start. */
export const assertKnownKeys = (
	packageName: string,
	option: string,
	value: Record<string, unknown>,
	known: readonly string[],
): void => {
	for (const key of Object.keys(value)) {
		if (!known.includes(key)) {
			throw optionError(
				packageName,
				option === '' ? key : `${option}.${key}`,
				'is not a known option',
			)
		}
	}
}

/**
 * The options without those given as `undefined`, so spreading them over the defaults leaves
 * an option given as `undefined` at its default, as if it were left out.
 */
export const withoutUndefined = <T extends object>(options: T): T =>
	Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T
