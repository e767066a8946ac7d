import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	type LocalSecretsManager,
	type LocalSts,
	startSecretsManager,
	startSts,
} from '../src/index.js'

// What AWS answers, as the real SDK clients classify it: the error's `name` and HTTP status
// decide what a caller does (an unknown tenant's 401 against an outage's 503), so the local
// endpoints must refuse what AWS refuses, with the error AWS names, and accept what AWS accepts.

describe('local Secrets Manager refuses and accepts what AWS does', () => {
	let secretsManager: LocalSecretsManager
	let client: SecretsManagerClient
	beforeAll(async () => {
		secretsManager = await startSecretsManager()
		client = secretsManager.client({ maxAttempts: 1 })
	})
	afterAll(() => secretsManager.stop())
	beforeEach(() => secretsManager.faults.clear())

	const get = (input: ConstructorParameters<typeof GetSecretValueCommand>[0]) =>
		client.send(new GetSecretValueCommand(input))

	// The model's constraints (SecretId 1-2048, VersionId 32-64, VersionStage 1-256 characters)
	// are checked before any lookup: AWS answers a ValidationException (400), not a
	// ResourceNotFoundException, and never the AWSCURRENT version for an empty VersionId.
	it('answers a ValidationException for an empty VersionId, instead of serving AWSCURRENT', async () => {
		secretsManager.putSecret('fidelity/empty-version', 'current')
		await expect(get({ SecretId: 'fidelity/empty-version', VersionId: '' })).rejects.toMatchObject({
			name: 'ValidationException',
			$metadata: { httpStatusCode: 400 },
		})
	})

	it('answers a ValidationException for a VersionId or VersionStage of a length AWS refuses', async () => {
		secretsManager.putSecret('fidelity/lengths', 'current')
		for (const input of [
			{ SecretId: 'fidelity/lengths', VersionId: 'short' },
			{ SecretId: 'fidelity/lengths', VersionId: 'v'.repeat(65) },
			{ SecretId: 'fidelity/lengths', VersionStage: '' },
			{ SecretId: 'fidelity/lengths', VersionStage: 's'.repeat(257) },
		])
			await expect(get(input)).rejects.toMatchObject({
				name: 'ValidationException',
				$metadata: { httpStatusCode: 400 },
			})
	})

	it('answers a ValidationException for an empty or overlong SecretId, not ResourceNotFoundException', async () => {
		await expect(get({ SecretId: '' })).rejects.toMatchObject({
			name: 'ValidationException',
			$metadata: { httpStatusCode: 400 },
		})
		await expect(get({ SecretId: `fidelity/${'x'.repeat(2_048)}` })).rejects.toMatchObject({
			name: 'ValidationException',
		})
	})

	// "SecretId: the ARN or name of the secret": an ARN without the hyphen and six random
	// characters Secrets Manager appends (a partial ARN) finds the secret too.
	it('serves a secret by its partial ARN (without the random suffix)', async () => {
		secretsManager.putSecret('fidelity/partial', 'by-partial-arn')
		const { ARN } = await get({ SecretId: 'fidelity/partial' })
		const partial = ARN?.replace(/-\w{6}$/, '') ?? ''
		expect(partial).toBe('arn:aws:secretsmanager:us-east-1:000000000000:secret:fidelity/partial')
		await expect(get({ SecretId: partial })).resolves.toMatchObject({
			ARN,
			SecretString: 'by-partial-arn',
		})
		// Another account's or Region's ARN names another secret.
		await expect(
			get({ SecretId: partial.replace(':us-east-1:', ':eu-west-1:') }),
		).rejects.toMatchObject({ name: 'ResourceNotFoundException' })
	})
})

describe('local STS refuses what AWS STS refuses, with the error the SDK models', () => {
	let sts: LocalSts
	let client: STSClient
	beforeAll(async () => {
		sts = await startSts()
		client = sts.client({ maxAttempts: 1 })
	})
	afterAll(() => sts.stop())
	beforeEach(() => {
		sts.faults.clear()
		sts.resetCalls()
	})

	const roleArn = 'arn:aws:iam::000000000000:role/tenant-data-access'
	const assumeRole = (extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) =>
		client.send(
			new AssumeRoleCommand({
				RoleArn: roleArn,
				RoleSessionName: 'fidelity',
				DurationSeconds: 900,
				Tags: [{ Key: 'tenant_id', Value: 'acme' }],
				...extra,
			}),
		)

	// A session policy that is not a JSON policy document is MalformedPolicyDocument (400), the
	// SDK's MalformedPolicyDocumentException; no credentials are issued.
	it('refuses a session policy that is not a policy document', async () => {
		for (const Policy of ['not json', '[]', '"policy"'])
			await expect(assumeRole({ Policy })).rejects.toMatchObject({
				name: 'MalformedPolicyDocumentException',
				$metadata: { httpStatusCode: 400 },
			})
		expect(sts.assumeRoleCalls).toHaveLength(0)
	})

	it('accepts a policy document', async () => {
		const Policy = JSON.stringify({
			Version: '2012-10-17',
			Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }],
		})
		await expect(assumeRole({ Policy })).resolves.toMatchObject({
			Credentials: expect.any(Object),
		})
	})

	// The Policy parameter's pattern is [\u0009\u000A\u000D\u0020-\u00FF]+: a character past
	// Latin-1 (a tenant id in another script inside a condition) is a ValidationError.
	it('refuses a session policy with a character outside \\u0009-\\u00FF', async () => {
		const Policy = JSON.stringify({
			Version: '2012-10-17',
			Statement: [
				{
					Effect: 'Allow',
					Action: 'dynamodb:GetItem',
					Resource: '*',
					Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TENANT#ацме#*'] } },
				},
			],
		})
		await expect(assumeRole({ Policy })).rejects.toMatchObject({
			name: 'ValidationError',
			$metadata: { httpStatusCode: 400 },
		})
	})

	// DurationSeconds may reach the role's MaxSessionDuration, which is 1 hour unless the role
	// sets it longer (up to 12 hours): 12 hours on a default role is a ValidationError.
	it("refuses a DurationSeconds above the role's MaxSessionDuration (1 h by default)", async () => {
		await expect(assumeRole({ DurationSeconds: 3_601 })).rejects.toMatchObject({
			name: 'ValidationError',
			message: expect.stringContaining('MaxSessionDuration'),
			$metadata: { httpStatusCode: 400 },
		})
		await expect(assumeRole({ DurationSeconds: 3_600 })).resolves.toBeTruthy()
	})

	it('accepts up to a longer MaxSessionDuration when the role is set so', async () => {
		const longRole = await startSts({ maxSessionDuration: 43_200 })
		try {
			const longClient = longRole.client({ maxAttempts: 1 })
			await expect(
				longClient.send(
					new AssumeRoleCommand({
						RoleArn: roleArn,
						RoleSessionName: 'long',
						DurationSeconds: 43_200,
					}),
				),
			).resolves.toMatchObject({ Credentials: expect.any(Object) })
		} finally {
			await longRole.stop()
		}
	})
})

describe('session tag limits, as the STS model states them', () => {
	let sts: LocalSts
	beforeAll(async () => {
		sts = await startSts()
	})
	afterAll(() => sts.stop())

	const withTags = (Tags: { Key: string; Value: string }[]) =>
		sts.client({ maxAttempts: 1 }).send(
			new AssumeRoleCommand({
				RoleArn: 'arn:aws:iam::000000000000:role/tenant-data-access',
				RoleSessionName: 'tags',
				Tags,
			}),
		)

	it('takes 50 tags, keys of 128 and values of 256 characters; refuses one more of each', async () => {
		const many = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: 'v' }))
		await expect(withTags(many(50))).resolves.toBeTruthy()
		await expect(withTags([{ Key: 'k'.repeat(128), Value: 'v'.repeat(256) }])).resolves.toBeTruthy()
		for (const Tags of [
			many(51),
			[{ Key: 'k'.repeat(129), Value: 'v' }],
			[{ Key: 'k', Value: 'v'.repeat(257) }],
			[{ Key: '', Value: 'v' }],
		])
			await expect(withTags(Tags)).rejects.toMatchObject({
				name: 'ValidationError',
				$metadata: { httpStatusCode: 400 },
			})
	})
})
