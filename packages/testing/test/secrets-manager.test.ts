import {
	CreateSecretCommand,
	DeleteSecretCommand,
	GetSecretValueCommand,
	InternalServiceError,
	PutSecretValueCommand,
	ResourceNotFoundException,
	type SecretsManagerClient,
	UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type LocalSecretsManager, startSecretsManager } from '../src/index.js'

let secretsManager: LocalSecretsManager
let client: SecretsManagerClient

beforeAll(async () => {
	secretsManager = await startSecretsManager()
	client = secretsManager.client({ maxAttempts: 1 })
})
afterAll(() => secretsManager.stop())
beforeEach(() => {
	secretsManager.faults.clear()
	secretsManager.resetCalls()
})

const getSecret = (SecretId: string, VersionStage?: string) =>
	client.send(new GetSecretValueCommand({ SecretId, VersionStage }))

describe('local Secrets Manager through the real SecretsManagerClient', () => {
	it('serves a seeded secret by name and by ARN', async () => {
		secretsManager.putSecret('tenants/acme', { shared_secret: 's1' })
		const byName = await getSecret('tenants/acme')
		expect(JSON.parse(byName.SecretString ?? '')).toEqual({ shared_secret: 's1' })
		expect(byName.VersionStages).toEqual(['AWSCURRENT'])
		expect(byName.ARN).toMatch(
			/^arn:aws:secretsmanager:us-east-1:000000000000:secret:tenants\/acme-\w{6}$/,
		)
		const byArn = await getSecret(byName.ARN ?? '')
		expect(byArn.SecretString).toBe(byName.SecretString)
		expect(byArn.CreatedDate).toBeInstanceOf(Date)
	})

	it('keeps AWSCURRENT and AWSPREVIOUS across PutSecretValue', async () => {
		await client.send(new CreateSecretCommand({ Name: 'tenants/rotating', SecretString: 'v1' }))
		await client.send(
			new PutSecretValueCommand({ SecretId: 'tenants/rotating', SecretString: 'v2' }),
		)
		expect((await getSecret('tenants/rotating')).SecretString).toBe('v2')
		expect((await getSecret('tenants/rotating', 'AWSPREVIOUS')).SecretString).toBe('v1')
		secretsManager.putSecret('tenants/rotating', 'v3')
		expect((await getSecret('tenants/rotating', 'AWSPREVIOUS')).SecretString).toBe('v2')
		await expect(
			client.send(new CreateSecretCommand({ Name: 'tenants/rotating', SecretString: 'x' })),
		).rejects.toMatchObject({ name: 'ResourceExistsException' })
	})

	it('answers ResourceNotFoundException for unknown and deleted secrets', async () => {
		await expect(getSecret('tenants/ghost')).rejects.toBeInstanceOf(ResourceNotFoundException)
		secretsManager.putSecret('tenants/gone', 'x')
		secretsManager.deleteSecret('tenants/gone')
		await expect(getSecret('tenants/gone')).rejects.toBeInstanceOf(ResourceNotFoundException)
		await expect(getSecret('tenants/gone', 'AWSPREVIOUS')).rejects.toBeInstanceOf(
			ResourceNotFoundException,
		)
	})

	it('refuses reads of a secret scheduled for deletion, as DeleteSecret does by default', async () => {
		secretsManager.putSecret('tenants/offboarded', 'x')
		secretsManager.deleteSecret('tenants/offboarded', { recoveryWindow: true })
		await expect(getSecret('tenants/offboarded')).rejects.toMatchObject({
			name: 'InvalidRequestException',
			message: expect.stringContaining('marked for deletion'),
		})
		secretsManager.putSecret('tenants/scheduled', 'x')
		await client.send(new DeleteSecretCommand({ SecretId: 'tenants/scheduled' }))
		await expect(getSecret('tenants/scheduled')).rejects.toMatchObject({
			name: 'InvalidRequestException',
		})
		secretsManager.putSecret('tenants/forced', 'x')
		await client.send(
			new DeleteSecretCommand({ SecretId: 'tenants/forced', ForceDeleteWithoutRecovery: true }),
		)
		await expect(getSecret('tenants/forced')).rejects.toBeInstanceOf(ResourceNotFoundException)
	})

	it('moves each staging label to the version that takes it, keeping unlabelled versions', async () => {
		secretsManager.putSecret('tenants/staged', 'current')
		const put = (SecretString: string) =>
			client.send(
				new PutSecretValueCommand({
					SecretId: 'tenants/staged',
					SecretString,
					VersionStages: ['AWSPENDING'],
				}),
			)
		const { VersionId: firstPending } = await put('pending-1')
		await put('pending-2')
		expect((await getSecret('tenants/staged', 'AWSPENDING')).SecretString).toBe('pending-2')
		const old = await client.send(
			new GetSecretValueCommand({ SecretId: 'tenants/staged', VersionId: firstPending }),
		)
		expect(old).toMatchObject({ SecretString: 'pending-1', VersionStages: [] })
		await expect(
			client.send(
				new GetSecretValueCommand({
					SecretId: 'tenants/staged',
					VersionId: firstPending,
					VersionStage: 'AWSCURRENT',
				}),
			),
		).rejects.toMatchObject({ name: 'InvalidRequestException' })
	})

	it('moves an explicit AWSPREVIOUS label too, and AWSCURRENT with AWSPENDING keeps the usual shuffle', async () => {
		secretsManager.putSecret('tenants/labels', 'v1')
		secretsManager.putSecret('tenants/labels', 'v2')
		const { VersionId } = await client.send(
			new PutSecretValueCommand({
				SecretId: 'tenants/labels',
				SecretString: 'restored',
				VersionStages: ['AWSPREVIOUS'],
			}),
		)
		expect(await getSecret('tenants/labels', 'AWSPREVIOUS')).toMatchObject({
			VersionId,
			SecretString: 'restored',
		})
		await client.send(
			new PutSecretValueCommand({
				SecretId: 'tenants/labels',
				SecretString: 'v3',
				VersionStages: ['AWSCURRENT', 'AWSPENDING'],
			}),
		)
		expect((await getSecret('tenants/labels')).SecretString).toBe('v3')
		expect((await getSecret('tenants/labels', 'AWSPREVIOUS')).SecretString).toBe('v2')
	})

	it('names a version by its ClientRequestToken, as a rotation function reads it back, and ignores a repeat', async () => {
		secretsManager.putSecret('tenants/rotated', 'current')
		const token = 'rotation-token-0123456789abcdef0123'
		const putPending = (SecretString: string) =>
			client.send(
				new PutSecretValueCommand({
					SecretId: 'tenants/rotated',
					ClientRequestToken: token,
					SecretString,
					VersionStages: ['AWSPENDING'],
				}),
			)
		await expect(putPending('pending')).resolves.toMatchObject({ VersionId: token })
		await expect(putPending('pending')).resolves.toMatchObject({ VersionId: token })
		await expect(
			client.send(
				new GetSecretValueCommand({
					SecretId: 'tenants/rotated',
					VersionId: token,
					VersionStage: 'AWSPENDING',
				}),
			),
		).resolves.toMatchObject({ SecretString: 'pending', VersionStages: ['AWSPENDING'] })
		await expect(putPending('another value')).rejects.toMatchObject({
			name: 'ResourceExistsException',
		})
		await expect(
			client.send(
				new PutSecretValueCommand({
					SecretId: 'tenants/rotated',
					ClientRequestToken: 'short',
					SecretString: 'x',
				}),
			),
		).rejects.toMatchObject({ name: 'ValidationException' })
		expect((await getSecret('tenants/rotated')).SecretString).toBe('current')
		const { VersionId } = await client.send(
			new CreateSecretCommand({
				Name: 'tenants/created',
				ClientRequestToken: 'creation-token-0123456789abcdef012',
				SecretString: 'first',
			}),
		)
		expect(VersionId).toBe('creation-token-0123456789abcdef012')
	})

	it('ignores a CreateSecret repeated with its ClientRequestToken and value (an SDK retry), refuses another value', async () => {
		const create = (SecretString: string) =>
			client.send(
				new CreateSecretCommand({
					Name: 'tenants/create-retry',
					ClientRequestToken: 'create-retry-token-0123456789abcdef',
					SecretString,
				}),
			)
		const first = await create('first')
		await expect(create('first')).resolves.toMatchObject({
			ARN: first.ARN,
			VersionId: 'create-retry-token-0123456789abcdef',
		})
		await expect(create('other')).rejects.toMatchObject({ name: 'ResourceExistsException' })
		expect((await getSecret('tenants/create-retry')).SecretString).toBe('first')
	})

	it('counts GetSecretValue calls per SecretId', async () => {
		secretsManager.putSecret('tenants/a', 'a')
		secretsManager.putSecret('tenants/b', 'b')
		await Promise.all([getSecret('tenants/a'), getSecret('tenants/a'), getSecret('tenants/b')])
		expect(secretsManager.calls('tenants/a')).toBe(2)
		expect(secretsManager.calls('tenants/b')).toBe(1)
		expect(secretsManager.calls()).toBe(3)
	})

	it('injects throttling, which the SDK retries with backoff', async () => {
		secretsManager.putSecret('tenants/t', 't')
		secretsManager.faults.inject({ type: 'throttle' }, { times: 2, target: 'tenants/t' })
		const retrying = secretsManager.client({ maxAttempts: 3 })
		await expect(
			retrying.send(new GetSecretValueCommand({ SecretId: 'tenants/t' })),
		).resolves.toMatchObject({
			SecretString: 't',
			$metadata: { attempts: 3 },
		})
		expect(secretsManager.calls('tenants/t')).toBe(3)
		secretsManager.faults.inject({ type: 'throttle' }, { times: 1 })
		await expect(getSecret('tenants/t')).rejects.toMatchObject({ name: 'ThrottlingException' })
	})

	it('injects 5xx, not-found, malformed answers, dropped connections and slowness', async () => {
		secretsManager.putSecret('tenants/f', 'f')
		secretsManager.faults.inject({ type: 'server-error' }, { times: 1 })
		await expect(getSecret('tenants/f')).rejects.toBeInstanceOf(InternalServiceError)
		secretsManager.faults.inject({ type: 'not-found' }, { times: 1, target: 'tenants/f' })
		await expect(getSecret('tenants/f')).rejects.toBeInstanceOf(ResourceNotFoundException)
		secretsManager.faults.inject({ type: 'malformed' }, { times: 1 })
		await expect(getSecret('tenants/f')).rejects.toThrow()
		secretsManager.faults.inject({ type: 'down' }, { times: 1 })
		await expect(getSecret('tenants/f')).rejects.toThrow()
		secretsManager.faults.inject({ type: 'delay', ms: 1_000 }, { times: 1 })
		const impatient = secretsManager.client({
			maxAttempts: 1,
			requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
		})
		await expect(
			impatient.send(new GetSecretValueCommand({ SecretId: 'tenants/f' })),
		).rejects.toMatchObject({
			name: 'TimeoutError',
		})
		await expect(getSecret('tenants/f')).resolves.toMatchObject({ SecretString: 'f' })
	})

	it('answers a request held by a delay at once when the faults are cleared', async () => {
		secretsManager.putSecret('tenants/held', 'held')
		secretsManager.faults.inject({ type: 'delay', ms: 60_000 }, { times: 1 })
		const held = getSecret('tenants/held')
		await expect.poll(() => secretsManager.calls('tenants/held')).toBe(1)
		secretsManager.faults.clear()
		await expect(held).resolves.toMatchObject({ SecretString: 'held' })
	})

	it('answers a delay with its `answer` fault once it ends, and normally when cleared first', async () => {
		secretsManager.putSecret('tenants/late', 'late')
		const lateThenDenied = { type: 'delay', ms: 200, answer: { type: 'access-denied' } } as const
		secretsManager.faults.inject(lateThenDenied, { times: 1 })
		const started = performance.now()
		await expect(getSecret('tenants/late')).rejects.toMatchObject({
			name: 'AccessDeniedException',
		})
		expect(performance.now() - started).toBeGreaterThanOrEqual(190)
		secretsManager.faults.inject({ ...lateThenDenied, ms: 60_000 }, { times: 1 })
		const held = getSecret('tenants/late')
		await expect.poll(() => secretsManager.calls('tenants/late')).toBe(2)
		secretsManager.faults.clear()
		await expect(held).resolves.toMatchObject({ SecretString: 'late' })
	})

	it('leaves other secrets alone when a fault targets one', async () => {
		secretsManager.putSecret('tenants/x', 'x')
		secretsManager.putSecret('tenants/y', 'y')
		secretsManager.faults.inject({ type: 'server-error' }, { target: 'tenants/x' })
		await expect(getSecret('tenants/x')).rejects.toBeInstanceOf(InternalServiceError)
		await expect(getSecret('tenants/y')).resolves.toMatchObject({ SecretString: 'y' })
	})
})

// CreateSecret and PutSecretValue take a SecretBinary instead of a SecretString; GetSecretValue
// then answers that SecretBinary and no SecretString. Stored as an empty SecretString, a binary
// key reads back as '' (an HMAC key of no bytes) and the SecretBinary branch never runs.
describe('SecretBinary through the real SecretsManagerClient', () => {
	it('reads back the bytes CreateSecret stored, without a SecretString', async () => {
		const key = new Uint8Array([0, 1, 2, 250, 255])
		await client.send(new CreateSecretCommand({ Name: 'binary/create', SecretBinary: key }))
		const read = await client.send(new GetSecretValueCommand({ SecretId: 'binary/create' }))
		expect(read.SecretString).toBeUndefined()
		expect(read.SecretBinary).toEqual(key)
	})

	it('reads back the bytes PutSecretValue stored, and the string version before it', async () => {
		secretsManager.putSecret('binary/put', 'text')
		const key = new Uint8Array([9, 8, 7])
		await client.send(new PutSecretValueCommand({ SecretId: 'binary/put', SecretBinary: key }))
		const current = await client.send(new GetSecretValueCommand({ SecretId: 'binary/put' }))
		expect(current.SecretBinary).toEqual(key)
		expect(current.SecretString).toBeUndefined()
		const previous = await client.send(
			new GetSecretValueCommand({ SecretId: 'binary/put', VersionStage: 'AWSPREVIOUS' }),
		)
		expect(previous.SecretString).toBe('text')
		expect(previous.SecretBinary).toBeUndefined()
	})
})

// A rotation's finishSecret: the label moves only when the request names the version holding it.
describe('UpdateSecretVersionStage through the real SecretsManagerClient', () => {
	const moveStage = (input: ConstructorParameters<typeof UpdateSecretVersionStageCommand>[0]) =>
		client.send(new UpdateSecretVersionStageCommand(input))

	const withPending = async (SecretId: string) => {
		secretsManager.putSecret(SecretId, 'current')
		const { VersionId: current } = await getSecret(SecretId)
		const { VersionId: pending } = await client.send(
			new PutSecretValueCommand({
				SecretId,
				SecretString: 'pending',
				VersionStages: ['AWSPENDING'],
			}),
		)
		return { current: current ?? '', pending: pending ?? '' }
	}

	it('moves AWSCURRENT from the version named in RemoveFromVersionId, which becomes AWSPREVIOUS', async () => {
		const { current, pending } = await withPending('stages/finish')
		await moveStage({
			SecretId: 'stages/finish',
			VersionStage: 'AWSCURRENT',
			MoveToVersionId: pending,
			RemoveFromVersionId: current,
		})
		expect(await getSecret('stages/finish')).toMatchObject({
			VersionId: pending,
			SecretString: 'pending',
			VersionStages: ['AWSPENDING', 'AWSCURRENT'],
		})
		expect(await getSecret('stages/finish', 'AWSPREVIOUS')).toMatchObject({
			VersionId: current,
			VersionStages: ['AWSPREVIOUS'],
		})
		await moveStage({
			SecretId: 'stages/finish',
			VersionStage: 'AWSPENDING',
			RemoveFromVersionId: pending,
		})
		await expect(getSecret('stages/finish', 'AWSPENDING')).rejects.toBeInstanceOf(
			ResourceNotFoundException,
		)
		expect((await getSecret('stages/finish')).VersionStages).toEqual(['AWSCURRENT'])
	})

	it('refuses to move a label held by a version the request does not name in RemoveFromVersionId', async () => {
		const { current, pending } = await withPending('stages/conflict')
		for (const RemoveFromVersionId of [undefined, pending])
			await expect(
				moveStage({
					SecretId: 'stages/conflict',
					VersionStage: 'AWSCURRENT',
					MoveToVersionId: pending,
					RemoveFromVersionId,
				}),
			).rejects.toMatchObject({
				name: 'InvalidParameterException',
				$fault: 'client',
				$metadata: { httpStatusCode: 400 },
				message: expect.stringContaining(`attached to version ${current}`),
			})
		expect((await getSecret('stages/conflict')).VersionId).toBe(current)
	})

	it('moves a label no version holds without RemoveFromVersionId, and any label but AWSCURRENT without AWSPREVIOUS', async () => {
		const { current, pending } = await withPending('stages/new-label')
		await moveStage({
			SecretId: 'stages/new-label',
			VersionStage: 'CANARY',
			MoveToVersionId: pending,
		})
		expect(await getSecret('stages/new-label', 'CANARY')).toMatchObject({
			VersionId: pending,
			VersionStages: ['AWSPENDING', 'CANARY'],
		})
		expect((await getSecret('stages/new-label')).VersionId).toBe(current)
		// Only moving AWSCURRENT labels the version it left AWSPREVIOUS.
		await moveStage({
			SecretId: 'stages/new-label',
			VersionStage: 'CANARY',
			MoveToVersionId: current,
			RemoveFromVersionId: pending,
		})
		expect((await getSecret('stages/new-label', 'CANARY')).VersionId).toBe(current)
		await expect(getSecret('stages/new-label', 'AWSPREVIOUS')).rejects.toBeInstanceOf(
			ResourceNotFoundException,
		)
	})

	it('answers ResourceNotFoundException for an unknown secret or MoveToVersionId', async () => {
		await withPending('stages/unknown-version')
		await expect(
			moveStage({ SecretId: 'stages/ghost', VersionStage: 'AWSCURRENT' }),
		).rejects.toBeInstanceOf(ResourceNotFoundException)
		await expect(
			moveStage({
				SecretId: 'stages/unknown-version',
				VersionStage: 'CANARY',
				MoveToVersionId: 'no-such-version-0123456789abcdef0123',
			}),
		).rejects.toBeInstanceOf(ResourceNotFoundException)
	})
})

describe('writes to a missing or deleted secret through the real SecretsManagerClient', () => {
	it('answers ResourceNotFoundException for PutSecretValue and DeleteSecret of an unknown secret', async () => {
		await expect(
			client.send(new PutSecretValueCommand({ SecretId: 'writes/ghost', SecretString: 'x' })),
		).rejects.toMatchObject({
			name: 'ResourceNotFoundException',
			$metadata: { httpStatusCode: 400 },
		})
		await expect(
			client.send(new DeleteSecretCommand({ SecretId: 'writes/ghost' })),
		).rejects.toBeInstanceOf(ResourceNotFoundException)
	})

	it('refuses PutSecretValue and UpdateSecretVersionStage on a secret scheduled for deletion', async () => {
		secretsManager.putSecret('writes/scheduled', 'x')
		secretsManager.deleteSecret('writes/scheduled', { recoveryWindow: true })
		const refused = {
			name: 'InvalidRequestException',
			$metadata: { httpStatusCode: 400 },
			message: expect.stringContaining('marked for deletion'),
		}
		await expect(
			client.send(new PutSecretValueCommand({ SecretId: 'writes/scheduled', SecretString: 'y' })),
		).rejects.toMatchObject(refused)
		await expect(
			client.send(
				new UpdateSecretVersionStageCommand({
					SecretId: 'writes/scheduled',
					VersionStage: 'CANARY',
				}),
			),
		).rejects.toMatchObject(refused)
	})

	it('answers ResourceNotFoundException for a VersionStage no version holds', async () => {
		secretsManager.putSecret('writes/no-pending', 'x')
		await expect(getSecret('writes/no-pending', 'AWSPENDING')).rejects.toMatchObject({
			name: 'ResourceNotFoundException',
			$metadata: { httpStatusCode: 400 },
		})
	})

	it('deletes nothing when the helper names an unknown secret', async () => {
		secretsManager.putSecret('writes/kept', 'kept')
		secretsManager.deleteSecret('writes/never-created')
		expect((await getSecret('writes/kept')).SecretString).toBe('kept')
	})
})

describe('SecretBinary retries and raw JSON 1.1 requests', () => {
	it('ignores a CreateSecret retry with the same SecretBinary, refuses other bytes or a string', async () => {
		const create = (value: { SecretBinary: Uint8Array } | { SecretString: string }) =>
			client.send(
				new CreateSecretCommand({
					Name: 'binary/retry',
					ClientRequestToken: 'binary-retry-token-0123456789abcdef',
					...value,
				}),
			)
		await create({ SecretBinary: new Uint8Array([1, 2, 3]) })
		await expect(create({ SecretBinary: new Uint8Array([1, 2, 3]) })).resolves.toMatchObject({
			VersionId: 'binary-retry-token-0123456789abcdef',
		})
		for (const other of [{ SecretBinary: new Uint8Array([1, 2, 4]) }, { SecretString: 'AQID' }])
			await expect(create(other)).rejects.toMatchObject({ name: 'ResourceExistsException' })
	})

	const post = async (target: string | undefined, body: string, method = 'POST') => {
		const response = await fetch(secretsManager.endpoint, {
			method,
			headers: {
				'Content-Type': 'application/x-amz-json-1.1',
				...(target === undefined ? {} : { 'X-Amz-Target': target }),
			},
			...(method === 'POST' ? { body } : {}),
		})
		return { status: response.status, body: (await response.json()) as Record<string, unknown> }
	}

	it('names a version itself when a request carries no ClientRequestToken (the SDK always sends one)', async () => {
		const created = await post(
			'secretsmanager.CreateSecret',
			JSON.stringify({ Name: 'raw/no-token', SecretString: 'v1' }),
		)
		expect(created.status).toBe(200)
		expect(created.body.VersionId).toMatch(/^[\da-f-]{36}$/)
		expect((await getSecret('raw/no-token')).VersionId).toBe(created.body.VersionId)
		// Without a token a second create cannot be a retry.
		expect(
			await post('secretsmanager.CreateSecret', JSON.stringify({ Name: 'raw/no-token' })),
		).toMatchObject({ status: 400, body: { __type: 'ResourceExistsException' } })
	})

	it('answers UnknownOperationException for an unknown or missing X-Amz-Target, or a GET', async () => {
		for (const [target, method] of [
			['secretsmanager.ListSecretsEverywhere', 'POST'],
			[undefined, 'POST'],
			['secretsmanager.GetSecretValue', 'GET'],
		] as const)
			expect(await post(target, '{}', method)).toMatchObject({
				status: 400,
				body: { __type: 'UnknownOperationException' },
			})
	})

	it('answers SerializationException for a body that is not JSON, and reads an empty one as {}', async () => {
		expect(await post('secretsmanager.GetSecretValue', '{"SecretId":')).toMatchObject({
			status: 400,
			body: { __type: 'SerializationException' },
		})
		expect(await post('secretsmanager.GetSecretValue', '')).toMatchObject({
			status: 400,
			body: { __type: 'ResourceNotFoundException' },
		})
		expect(secretsManager.calls('')).toBe(1)
	})

	it('records every request that reaches it, until cleared', async () => {
		secretsManager.clearRequests()
		await getSecret('raw/recorded').catch(() => undefined)
		expect(secretsManager.requests).toEqual([
			expect.objectContaining({ operation: 'GetSecretValue', input: { SecretId: 'raw/recorded' } }),
		])
		secretsManager.clearRequests()
		expect(secretsManager.requests).toEqual([])
	})

	it('injects an oversized answer: a 200 whose SecretString is that large (1 MiB unless set)', async () => {
		secretsManager.putSecret('raw/oversized', 'small')
		secretsManager.faults.inject({ type: 'oversized' }, { times: 1 })
		expect((await getSecret('raw/oversized')).SecretString).toHaveLength(1_048_576)
		secretsManager.faults.inject({ type: 'oversized', bytes: 70_000 }, { times: 1 })
		expect((await getSecret('raw/oversized')).SecretString).toHaveLength(70_000)
	})
})

describe('a request body over 1 MiB', () => {
	it('is answered 413, every time, which the SDK reports as a client fault', async () => {
		secretsManager.putSecret('limits/huge', 'small')
		secretsManager.clearRequests()
		// Cutting the connection mid-upload raced the answer: some tries saw ECONNRESET or EPIPE.
		for (let attempt = 0; attempt < 5; attempt++)
			await expect(
				client.send(
					new PutSecretValueCommand({
						SecretId: 'limits/huge',
						SecretString: 'x'.repeat(1_100_000),
					}),
				),
			).rejects.toMatchObject({ $fault: 'client', $metadata: { httpStatusCode: 413 } })
		expect(secretsManager.requests).toEqual([])
		expect((await getSecret('limits/huge')).SecretString).toBe('small')
	})
})
