import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
	SecretsManagerClient,
	type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager'
import { accessKeyIdOf, localAccountId, randomId } from './credentials.js'
import { answerCommonFault, createFaultPlan, type Fault, type FaultControl } from './faults.js'
import { localClients } from './local-clients.js'
import { startHttpServer } from './loopback-server.js'

/**
 * A version's value: a SecretString, or a SecretBinary (base64, as the JSON protocol carries
 * it both ways); GetSecretValue answers only the member that was stored.
 */
type SecretValue = { secretString: string } | { secretBinary: string }

const sameValue = (a: SecretValue, b: SecretValue): boolean =>
	'secretBinary' in a
		? 'secretBinary' in b && a.secretBinary === b.secretBinary
		: 'secretString' in b && a.secretString === b.secretString

interface SecretVersion {
	versionId: string
	value: SecretValue
	stages: Set<string>
	createdDate: number
}

interface StoredSecret {
	name: string
	arn: string
	versions: SecretVersion[]
	/** Set while deletion is scheduled (the recovery window): reads are refused. */
	deletionDate: number | undefined
}

export interface RecordedSecretsManagerRequest {
	/** e.g. `GetSecretValue` */
	operation: string
	/** The access key id that signed the request: tells which credentials a client used. */
	accessKeyId: string | undefined
	input: Record<string, unknown>
}

export interface LocalSecretsManager {
	readonly endpoint: string
	readonly region: string
	/** A client for this endpoint; extra config (e.g. `maxAttempts`) is merged in. */
	client(config?: SecretsManagerClientConfig): SecretsManagerClient
	/**
	 * Creates the secret or adds a new `AWSCURRENT` version (the old one becomes
	 * `AWSPREVIOUS`), as `PutSecretValue` does. Objects are stored as JSON.
	 */
	putSecret(name: string, value: string | Record<string, unknown>): void
	/**
	 * Deletes the secret at once, or with `{ recoveryWindow: true }` schedules its deletion as
	 * `DeleteSecret` does by default: until then reading it is an `InvalidRequestException`.
	 */
	deleteSecret(name: string, options?: { recoveryWindow?: boolean }): void
	/** `GetSecretValue` calls, for one SecretId (name or ARN as sent) or in total. */
	calls(secretId?: string): number
	resetCalls(): void
	/** Every request that reached the endpoint, oldest first (faulted ones included). */
	readonly requests: readonly RecordedSecretsManagerRequest[]
	clearRequests(): void
	/** By SecretId: throttle, server-error, not-found, access-denied, delay, malformed, down. */
	readonly faults: FaultControl
	stop(): Promise<void>
}

class ServiceError extends Error {
	constructor(
		readonly status: number,
		readonly type: string,
		message: string,
	) {
		super(message)
	}
}

const markedForDeletion = () =>
	new ServiceError(
		400,
		'InvalidRequestException',
		"You can't perform this operation on the secret because it was marked for deletion.",
	)

const notFound = () =>
	new ServiceError(
		400,
		'ResourceNotFoundException',
		"Secrets Manager can't find the specified secret.",
	)

/**
 * The model's length constraint on a string member, checked before anything else as AWS does:
 * a `ValidationException` (never a lookup that finds nothing, or the default version).
 */
const checkLength = (input: Record<string, unknown>, member: string, min: number, max: number) => {
	const value = input[member]
	if (typeof value !== 'string') return
	const field = member[0]?.toLowerCase() + member.slice(1)
	const problem =
		value.length < min
			? `greater than or equal to ${min}`
			: value.length > max
				? `less than or equal to ${max}`
				: undefined
	if (problem !== undefined)
		throw new ServiceError(
			400,
			'ValidationException',
			`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length ${problem}`,
		)
}

export interface StartSecretsManagerOptions {
	region?: string
}

/**
 * A Secrets Manager endpoint speaking the real JSON 1.1 protocol (`X-Amz-Target:
 * secretsmanager.<Operation>`), so the unmodified `SecretsManagerClient` (serialisation,
 * retries, error parsing) talks to it. Supports GetSecretValue (by name or ARN, VersionStage,
 * VersionId), CreateSecret and PutSecretValue (SecretString or SecretBinary; a
 * `ClientRequestToken` names the new version, and repeating it with the same value is
 * idempotent), UpdateSecretVersionStage (a rotation's finishSecret: moving `AWSCURRENT` labels
 * the version it left `AWSPREVIOUS`) and DeleteSecret.
 */
export const startSecretsManager = async (
	options: StartSecretsManagerOptions = {},
): Promise<LocalSecretsManager> => {
	const region = options.region ?? 'us-east-1'
	const secrets = new Map<string, StoredSecret>()
	const calls = new Map<string, number>()
	const requests: RecordedSecretsManagerRequest[] = []
	const faults = createFaultPlan()
	const stopping = new AbortController()

	/**
	 * By name, ARN, or partial ARN (the ARN without the hyphen and six random characters
	 * Secrets Manager appends), as `SecretId` names a secret.
	 */
	const find = (secretId: unknown): StoredSecret | undefined => {
		if (typeof secretId !== 'string') return undefined
		return (
			secrets.get(secretId) ??
			[...secrets.values()].find(
				(secret) => secret.arn === secretId || secret.arn.slice(0, -7) === secretId,
			)
		)
	}

	/**
	 * The version id a request asks for: its `ClientRequestToken`, which the SDK fills with a
	 * UUID when the caller gives none (rotation functions pass the rotation's token, then read
	 * the version back by it).
	 */
	const requestedVersionId = (input: Record<string, unknown>): string => {
		const token = input.ClientRequestToken
		if (token === undefined) return randomUUID()
		if (typeof token !== 'string' || token.length < 32 || token.length > 64)
			throw new ServiceError(
				400,
				'ValidationException',
				"Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64",
			)
		return token
	}

	/** The value a CreateSecret or PutSecretValue request carries. */
	const requestedValue = (input: Record<string, unknown>): SecretValue =>
		typeof input.SecretBinary === 'string'
			? { secretBinary: input.SecretBinary }
			: { secretString: String(input.SecretString ?? '') }

	/**
	 * Whether a request repeats a version already stored: the same value again is ignored (an
	 * idempotent retry), another value under that id is refused.
	 */
	const repeatsVersion = (secret: StoredSecret, versionId: string, value: SecretValue) => {
		const existing = secret.versions.find((version) => version.versionId === versionId)
		if (existing === undefined) return undefined
		if (!sameValue(existing.value, value))
			throw new ServiceError(
				400,
				'ResourceExistsException',
				"You can't modify an existing version, you can only create a new version.",
			)
		return existing
	}

	const addVersion = (
		secret: StoredSecret,
		value: SecretValue,
		stages: string[],
		versionId: string = randomUUID(),
	): SecretVersion => {
		const version: SecretVersion = {
			versionId,
			value,
			stages: new Set(stages),
			createdDate: Date.now() / 1000,
		}
		// A staging label sits on one version at a time: the new version takes each of its labels
		// from the version that held it, and AWSCURRENT's old holder becomes AWSPREVIOUS. A version
		// left without labels is deprecated but kept, readable by its VersionId.
		const oldCurrent = version.stages.has('AWSCURRENT')
			? secret.versions.find((older) => older.stages.has('AWSCURRENT'))
			: undefined
		for (const older of secret.versions) {
			for (const stage of version.stages) older.stages.delete(stage)
		}
		if (oldCurrent !== undefined && !version.stages.has('AWSPREVIOUS')) {
			for (const older of secret.versions) older.stages.delete('AWSPREVIOUS')
			oldCurrent.stages.add('AWSPREVIOUS')
		}
		secret.versions.push(version)
		return version
	}

	const create = (
		name: string,
		value: SecretValue,
		versionId: string = randomUUID(),
	): StoredSecret => {
		const secret: StoredSecret = {
			name,
			arn: `arn:aws:secretsmanager:${region}:${localAccountId}:secret:${name}-${randomId(6)}`,
			versions: [],
			deletionDate: undefined,
		}
		secrets.set(name, secret)
		addVersion(secret, value, ['AWSCURRENT'], versionId)
		return secret
	}

	const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
		GetSecretValue(input) {
			checkLength(input, 'SecretId', 1, 2_048)
			checkLength(input, 'VersionId', 32, 64)
			checkLength(input, 'VersionStage', 1, 256)
			const secret = find(input.SecretId)
			if (!secret) throw notFound()
			if (secret.deletionDate !== undefined) throw markedForDeletion()
			const stage = typeof input.VersionStage === 'string' ? input.VersionStage : undefined
			const versionId = typeof input.VersionId === 'string' ? input.VersionId : undefined
			const version = secret.versions.find((v) =>
				versionId !== undefined ? v.versionId === versionId : v.stages.has(stage ?? 'AWSCURRENT'),
			)
			if (!version) throw notFound()
			// Both given, they must name the same version.
			if (versionId !== undefined && stage !== undefined && !version.stages.has(stage))
				throw new ServiceError(
					400,
					'InvalidRequestException',
					'You provided a VersionStage that is not associated to the provided VersionId.',
				)
			return {
				ARN: secret.arn,
				Name: secret.name,
				VersionId: version.versionId,
				...('secretBinary' in version.value
					? { SecretBinary: version.value.secretBinary }
					: { SecretString: version.value.secretString }),
				VersionStages: [...version.stages],
				CreatedDate: version.createdDate,
			}
		},
		CreateSecret(input) {
			const name = String(input.Name ?? '')
			const existing = secrets.get(name)
			if (existing !== undefined) {
				// A repeat of the request that created it (the SDK retries with the same token) is
				// ignored; another value under that token is refused, as any other create.
				const token = input.ClientRequestToken
				const repeated =
					typeof token === 'string'
						? repeatsVersion(existing, token, requestedValue(input))
						: undefined
				if (repeated !== undefined)
					return { ARN: existing.arn, Name: existing.name, VersionId: repeated.versionId }
				throw new ServiceError(
					400,
					'ResourceExistsException',
					`The operation failed because the secret ${name} already exists.`,
				)
			}
			const secret = create(name, requestedValue(input), requestedVersionId(input))
			return { ARN: secret.arn, Name: secret.name, VersionId: secret.versions[0]?.versionId }
		},
		PutSecretValue(input) {
			checkLength(input, 'SecretId', 1, 2_048)
			const secret = find(input.SecretId)
			if (!secret) throw notFound()
			if (secret.deletionDate !== undefined) throw markedForDeletion()
			const stages = Array.isArray(input.VersionStages)
				? input.VersionStages.map(String)
				: ['AWSCURRENT']
			const value = requestedValue(input)
			const versionId = requestedVersionId(input)
			const version =
				repeatsVersion(secret, versionId, value) ?? addVersion(secret, value, stages, versionId)
			return {
				ARN: secret.arn,
				Name: secret.name,
				VersionId: version.versionId,
				VersionStages: [...version.stages],
			}
		},
		UpdateSecretVersionStage(input) {
			const secret = find(input.SecretId)
			if (!secret) throw notFound()
			if (secret.deletionDate !== undefined) throw markedForDeletion()
			const stage = String(input.VersionStage ?? '')
			const holder = secret.versions.find((version) => version.stages.has(stage))
			const moveTo = secret.versions.find((version) => version.versionId === input.MoveToVersionId)
			const removeFrom = input.RemoveFromVersionId
			if (input.MoveToVersionId !== undefined && moveTo === undefined) throw notFound()
			// A label held elsewhere moves only when the request names its holder.
			if (holder !== undefined && holder !== moveTo && holder.versionId !== removeFrom)
				throw new ServiceError(
					400,
					'InvalidParameterException',
					`The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
				)
			if (holder !== undefined && holder.versionId === removeFrom) holder.stages.delete(stage)
			if (moveTo !== undefined && moveTo !== holder) {
				moveTo.stages.add(stage)
				// Moving AWSCURRENT labels the version it left AWSPREVIOUS, as Secrets Manager does.
				if (stage === 'AWSCURRENT' && holder !== undefined) {
					for (const older of secret.versions) older.stages.delete('AWSPREVIOUS')
					holder.stages.add('AWSPREVIOUS')
				}
			}
			return { ARN: secret.arn, Name: secret.name }
		},
		DeleteSecret(input) {
			checkLength(input, 'SecretId', 1, 2_048)
			const secret = find(input.SecretId)
			if (!secret) throw notFound()
			if (input.ForceDeleteWithoutRecovery === true) secrets.delete(secret.name)
			else secret.deletionDate ??= Date.now() / 1000 + 30 * 86_400
			return {
				ARN: secret.arn,
				Name: secret.name,
				DeletionDate: secret.deletionDate ?? Date.now() / 1000,
			}
		},
	}

	const send = (response: ServerResponse, status: number, body: unknown, type?: string): void => {
		const text = JSON.stringify(body)
		response.writeHead(status, {
			'Content-Type': 'application/x-amz-json-1.1',
			'Content-Length': Buffer.byteLength(text),
			'x-amzn-RequestId': randomUUID(),
			...(type ? { 'x-amzn-ErrorType': type } : {}),
		})
		response.end(text)
	}

	const sendError = (response: ServerResponse, error: ServiceError): void =>
		send(response, error.status, { __type: error.type, Message: error.message }, error.type)

	const answerFault = async (fault: Fault, response: ServerResponse): Promise<boolean> => {
		const common = await answerCommonFault(
			fault,
			response,
			faults.delayEnds(stopping.signal),
			(late) => answerFault(late, response),
		)
		if (common !== undefined) return common
		switch (fault.type) {
			case 'throttle':
				sendError(response, new ServiceError(400, 'ThrottlingException', 'Rate exceeded'))
				return true
			case 'server-error':
				sendError(
					response,
					new ServiceError(500, 'InternalServiceError', 'An error occurred on the server side.'),
				)
				return true
			case 'not-found':
				sendError(response, notFound())
				return true
			case 'access-denied':
				sendError(
					response,
					new ServiceError(400, 'AccessDeniedException', 'Access to KMS is not allowed'),
				)
				return true
			case 'malformed':
				response
					.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' })
					.end('{"SecretString": "trunc')
				return true
			case 'oversized':
				send(response, 200, { SecretString: 'x'.repeat(fault.bytes ?? 1_048_576) })
				return true
			default:
				return false
		}
	}

	const server = await startHttpServer(
		async (request: IncomingMessage, body: Buffer, response: ServerResponse) => {
			const target = String(request.headers['x-amz-target'] ?? '')
			const operation = target.startsWith('secretsmanager.')
				? target.slice('secretsmanager.'.length)
				: ''
			const handler = operations[operation]
			if (request.method !== 'POST' || !handler) {
				sendError(
					response,
					new ServiceError(400, 'UnknownOperationException', `Unknown operation ${target}`),
				)
				return
			}
			let input: Record<string, unknown>
			try {
				input = JSON.parse(body.toString() || '{}')
			} catch {
				sendError(response, new ServiceError(400, 'SerializationException', 'Malformed JSON'))
				return
			}
			requests.push({ operation, accessKeyId: accessKeyIdOf(request.headers.authorization), input })
			const secretId = typeof input.SecretId === 'string' ? input.SecretId : undefined
			if (operation === 'GetSecretValue')
				calls.set(secretId ?? '', (calls.get(secretId ?? '') ?? 0) + 1)
			const fault = faults.take(secretId, operation)
			if (fault && (await answerFault(fault, response))) return
			try {
				send(response, 200, handler(input))
			} catch (error) {
				if (error instanceof ServiceError) sendError(response, error)
				else throw error
			}
		},
	)

	const clients = localClients(
		(config: SecretsManagerClientConfig) => new SecretsManagerClient(config),
		{ region, endpoint: server.url },
	)

	return {
		endpoint: server.url,
		region,
		client: clients.client,
		putSecret(name, value) {
			const stored = { secretString: typeof value === 'string' ? value : JSON.stringify(value) }
			const existing = secrets.get(name)
			if (existing) addVersion(existing, stored, ['AWSCURRENT'])
			else create(name, stored)
		},
		deleteSecret(name, deleteOptions) {
			const secret = secrets.get(name)
			if (secret === undefined) return
			if (deleteOptions?.recoveryWindow) secret.deletionDate ??= Date.now() / 1000 + 30 * 86_400
			else secrets.delete(name)
		},
		calls(secretId) {
			if (secretId !== undefined) return calls.get(secretId) ?? 0
			let total = 0
			for (const count of calls.values()) total += count
			return total
		},
		resetCalls() {
			calls.clear()
		},
		get requests() {
			return requests
		},
		clearRequests() {
			requests.length = 0
		},
		faults,
		async stop() {
			stopping.abort()
			clients.destroyAll()
			await server.close()
		},
	}
}
