import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { describe, expect, it } from 'vitest'
import { dynamoReplayStore, type HmacAuthOptions, hmacAuth } from '../src/index.js'

const secrets = async () => 's'
const optionError = (option: string) =>
	expect.objectContaining({
		name: 'TypeError',
		cause: { package: '@tenantry/hmac-auth', option },
	})

describe('headers that name one header twice', () => {
	// One header cannot carry two things: with the tenant id read from the signature header (or
	// the timestamp from it) every request fails its checks, a 401 for every sender.
	it.each<[string, HmacAuthOptions, string]>([
		['the tenant id in the signature header', { headers: { tenantId: 'x-signature' } }, 'tenantId'],
		[
			'the timestamp in the signature header, in another case',
			{ headers: { timestamp: 'X-Signature' } },
			'timestamp',
		],
		[
			'the tenant id in the message id header (Standard Webhooks)',
			{ scheme: 'standard-webhooks', headers: { tenantId: 'webhook-id' } },
			'tenantId',
		],
		[
			'two renamed headers that are one',
			{ headers: { timestamp: 'x-sig-time', signature: 'x-sig-time' } },
			'timestamp',
		],
	])('refuses %s when the middleware is built', (_, options, key) => {
		expect(() => hmacAuth({ secrets, ...options })).toThrow(optionError(`headers.${key}`))
	})

	it('accepts distinct names, and the tenant header left unused beside tenantIdFrom', () => {
		expect(() =>
			hmacAuth({ secrets, headers: { timestamp: 'x-sig-time', signature: 'x-sig' } }),
		).not.toThrow()
		expect(() =>
			hmacAuth({ secrets, headers: { signature: 'x-tenant-id' }, tenantIdFrom: () => 'acme' }),
		).not.toThrow()
	})
})

describe('dynamoReplayStore: a table name DynamoDB refuses', () => {
	const client = { send: async () => ({}) }
	// Every claim would fail: a 503 for every signed request, from the first one on.
	it.each(['   ', 'hmac-replay\n', '$REPLAY_TABLE', 'x'])('refuses %j when built', (tableName) => {
		expect(() => dynamoReplayStore({ tableName, client })).toThrow(
			optionError('replayStore.tableName'),
		)
	})

	it('accepts a name or a table ARN', () => {
		expect(() => dynamoReplayStore({ tableName: 'hmac-replay', client })).not.toThrow()
		expect(() =>
			dynamoReplayStore({
				tableName: 'arn:aws:dynamodb:eu-west-1:123456789012:table/hmac-replay',
				client,
			}),
		).not.toThrow()
	})
})

describe('a client of another service', () => {
	// GetSecretValue sent through a DynamoDB client (or a replay claim through a Secrets Manager
	// client) reaches the wrong endpoint and fails on every request: a 503 for every sender,
	// with nothing at cold start to say why.
	it('is refused as secrets.client, naming the service it is for', () => {
		expect(() =>
			hmacAuth({ secrets: { prefix: 'tenants', client: new DynamoDBClient({}) as never } }),
		).toThrow(optionError('secrets.client'))
		expect(() =>
			hmacAuth({ secrets: { prefix: 'tenants', client: new DynamoDBClient({}) as never } }),
		).toThrow("option 'secrets.client' must be a SecretsManagerClient, not a client of DynamoDB")
	})

	it('is refused as the replay store client, naming the service it is for', () => {
		const client = new SecretsManagerClient({}) as unknown as DynamoDBClient
		expect(() => dynamoReplayStore({ tableName: 'hmac-replay', client })).toThrow(
			"option 'replayStore.client' must be a DynamoDBClient, not a client of Secrets Manager",
		)
	})

	it('accepts the clients of the right services', () => {
		expect(() =>
			hmacAuth({
				secrets: { prefix: 'tenants', client: new SecretsManagerClient({}) },
				replayStore: dynamoReplayStore({
					tableName: 'hmac-replay',
					client: new DynamoDBClient({}),
				}),
			}),
		).not.toThrow()
	})
})
