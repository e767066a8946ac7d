import {
	CreateSecretCommand,
	GetSecretValueCommand,
	PutSecretValueCommand,
	type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalSecretsManager, startSecretsManager } from '../src/index.js'

let secretsManager: LocalSecretsManager
let client: SecretsManagerClient

beforeAll(async () => {
	secretsManager = await startSecretsManager()
	client = secretsManager.client({ maxAttempts: 1 })
})
afterAll(() => secretsManager.stop())

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
