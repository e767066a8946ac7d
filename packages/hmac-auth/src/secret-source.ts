import {
	GetSecretValueCommand,
	type GetSecretValueCommandOutput,
	type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager'
import { NotFoundError } from '@tenantry/cache'
import { isPlainObject, own, type TracerLike, traced } from '@tenantry/util'
import { describeFailure, SecretFormatError, SecretUnavailableError } from './errors.js'

/**
 * A tenant's secrets as stored: the current one first. Until `previousUntil` (epoch ms) the
 * store may hold an older one elsewhere (the `AWSPREVIOUS` stage) worth trying on a mismatch.
 */
export interface StoredSecrets {
	readonly secrets: readonly string[]
	readonly versionId: string | undefined
	readonly previousUntil: number
}

/** `previousUntil` of secrets with nothing more to try. */
export const noPrevious = Number.NEGATIVE_INFINITY

export interface SecretSourceAdapter {
	/** Throws `NotFoundError` for an unknown tenant, `SecretFormatError`, or `SecretUnavailableError`. */
	current(tenantId: string): Promise<StoredSecrets>
	/** The previous version's secret; `NotFoundError` when there is none. */
	previous?: (tenantId: string) => Promise<string>
}

/** Your own secret lookup: the tenant's secrets, current first. Throw `NotFoundError` for an unknown tenant. */
export type SecretFunction = (tenantId: string) => Promise<string | readonly string[]>

export const functionSource = (load: SecretFunction): SecretSourceAdapter => ({
	async current(tenantId) {
		let value: string | readonly string[]
		try {
			value = await load(tenantId)
		} catch (error) {
			if (error instanceof NotFoundError || error instanceof SecretFormatError) throw error
			// Only the failure's name: its message may quote what the function was parsing, the secret.
			throw new SecretUnavailableError(
				tenantId,
				`secrets function failed: ${describeFailure(error)}`,
			)
		}
		const secrets = typeof value === 'string' ? [value] : value
		if (
			!Array.isArray(secrets) ||
			secrets.length === 0 ||
			!secrets.every((secret) => typeof secret === 'string' && secret.length > 0)
		)
			throw new SecretFormatError(
				tenantId,
				'from the secrets function is not a non-empty string or array of them',
			)
		return { secrets, versionId: undefined, previousUntil: noPrevious }
	},
})

export interface SecretsManagerSourceOptions {
	prefix: string
	field: string
	previousField: string
	previousVersionGraceMs: number
	client: SecretsManagerClient
	tracer: TracerLike | undefined
}

/**
 * Answers that mean the tenant has no secret: none, or one scheduled for deletion (an offboarded
 * tenant, for the 7–30 day recovery window), which `GetSecretValue` refuses as an invalid
 * request. Read as an outage, it would tell the sender to retry for weeks, and differ from the
 * answer an unknown tenant gets.
 */
const goneErrors = new Set(['ResourceNotFoundException', 'InvalidRequestException'])

type GetSecretValue = (input: {
	SecretId: string
	VersionStage?: string
}) => Promise<GetSecretValueCommandOutput>

/**
 * The issue's layout: SecretId `${prefix}/${tenantId}`, SecretString JSON with the current
 * secret in `field` and, during a rotation, the old one in `previousField`. Without that field
 * the `AWSPREVIOUS` stage is the previous secret, fetched only after a mismatch, and only for
 * `previousVersionGraceMs` after the current version was created: `PutSecretValue` and rotation
 * Lambdas leave a replaced (perhaps leaked) secret in `AWSPREVIOUS` until the next rotation.
 */
export const secretsManagerSource = (options: SecretsManagerSourceOptions): SecretSourceAdapter => {
	const { prefix, field, previousField, previousVersionGraceMs, tracer } = options
	const { client } = options
	const getSecretValue: GetSecretValue = (input) => client.send(new GetSecretValueCommand(input))

	const fetch = async (tenantId: string, stage: string | undefined) => {
		const SecretId = `${prefix}/${tenantId}`
		// Errors are mapped inside the subsegment, so traces record ours, never the SDK's raw
		// response. A secret that does not exist is the sender's mistake (a 401), not a fault of
		// this function: it leaves the subsegment as an answer, or anyone could raise the traces'
		// fault rate with made-up tenant ids.
		const output = await traced(tracer, 'hmac-auth.getSecret', async () => {
			try {
				return await getSecretValue(
					stage === undefined ? { SecretId } : { SecretId, VersionStage: stage },
				)
			} catch (error) {
				if (error instanceof Error && goneErrors.has(error.name)) return undefined
				throw new SecretUnavailableError(
					tenantId,
					`GetSecretValue failed: ${describeFailure(error)}`,
				)
			}
		})
		if (output === undefined)
			throw new NotFoundError(`no secret ${SecretId}${stage ? ` (${stage})` : ''}`)
		return output
	}

	const parse = (
		tenantId: string,
		output: GetSecretValueCommandOutput,
	): Record<string, unknown> => {
		if (typeof output.SecretString !== 'string')
			throw new SecretFormatError(tenantId, 'has no SecretString')
		let value: unknown
		try {
			value = JSON.parse(output.SecretString)
		} catch {
			// JSON.parse quotes the text it failed on: its error must not travel further.
			throw new SecretFormatError(tenantId, 'is not JSON')
		}
		if (!isPlainObject(value)) throw new SecretFormatError(tenantId, 'is not a JSON object')
		return value
	}

	const currentOf = (tenantId: string, value: Record<string, unknown>): string => {
		const secret = own(value, field)
		if (typeof secret !== 'string' || secret.length === 0)
			throw new SecretFormatError(tenantId, `has no non-empty string field '${field}'`)
		return secret
	}

	return {
		async current(tenantId) {
			const output = await fetch(tenantId, undefined)
			const value = parse(tenantId, output)
			const current = currentOf(tenantId, value)
			const previous = own(value, previousField)
			if (previous !== undefined && previous !== null && typeof previous !== 'string')
				throw new SecretFormatError(tenantId, `field '${previousField}' is not a string`)
			if (typeof previous === 'string' && previous.length > 0)
				return {
					secrets: [current, previous],
					versionId: output.VersionId,
					previousUntil: noPrevious,
				}
			// A field present but empty says there is no previous secret; without a creation date
			// the version's age is unknown, so the older one is not trusted either.
			const created: unknown = output.CreatedDate
			const createdAt = created instanceof Date ? created.getTime() : undefined
			return {
				secrets: [current],
				versionId: output.VersionId,
				previousUntil:
					previous === undefined &&
					previousVersionGraceMs > 0 &&
					createdAt !== undefined &&
					Number.isFinite(createdAt)
						? createdAt + previousVersionGraceMs
						: noPrevious,
			}
		},
		async previous(tenantId) {
			const output = await fetch(tenantId, 'AWSPREVIOUS')
			return currentOf(tenantId, parse(tenantId, output))
		},
	}
}
