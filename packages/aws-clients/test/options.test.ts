import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import {
	type AwsClientsOptions,
	awsClients,
	defaults,
	guardDefaults,
	httpHandlerDefaults,
	outagesDefaults,
	tenantCredentialsDefaults,
} from '../src/index.js'

const roleArn = 'arn:aws:iam::123456789012:role/tenant-data'
const base = { clients: { dynamodb: DynamoDBClient } }
const build = (options: unknown) => () =>
	awsClients(options as AwsClientsOptions<{ dynamodb: typeof DynamoDBClient }>)
/** Every method awsClients calls on a Powertools `Tracer`, but not the X-Ray SDK behind it. */
const tracerWithoutProvider: Record<string, (value: unknown) => unknown> = {
	captureAWSv3Client: (client) => client,
	isTracingEnabled: () => true,
	getSegment: () => undefined,
	setSegment: () => undefined,
	putAnnotation: () => undefined,
}

describe('factory-time validation', () => {
	it.each([
		['options not an object', null, 'options'],
		['unknown option', { ...base, tenantCredential: {} }, 'tenantCredential'],
		['no clients', {}, 'clients'],
		['empty clients', { clients: {} }, 'clients'],
		[
			'a client that is not a class',
			{ clients: { dynamodb: 'DynamoDBClient' } },
			'clients.dynamodb',
		],
		[
			'a class that is not an AWS SDK v3 client (nothing to bind to its tenant)',
			{ clients: { cache: class TenantCache {} } },
			'clients.cache',
		],
		['a reserved client name', { clients: { constructor: DynamoDBClient } }, 'clients.constructor'],
		['config not an object', { ...base, config: 'us-east-1' }, 'config'],
		['perClient for no client', { ...base, perClient: { s3: {} } }, 'perClient.s3'],
		[
			'unknown handler option',
			{ ...base, httpHandler: { keepAlive: false } },
			'httpHandler.keepAlive',
		],
		['zero sockets', { ...base, httpHandler: { maxSockets: 0 } }, 'httpHandler.maxSockets'],
		[
			'negative timeout',
			{ ...base, httpHandler: { requestTimeout: -1 } },
			'httpHandler.requestTimeout',
		],
		['outages neither an object nor false', { ...base, outages: true }, 'outages'],
		['unknown outages option', { ...base, outages: { retryAfter: 5 } }, 'outages.retryAfter'],
		[
			'a Retry-After under a second',
			{ ...base, outages: { retryAfterSec: 0.5 } },
			'outages.retryAfterSec',
		],
		[
			'a Retry-After clients would read as no delay (1e+21)',
			{ ...base, outages: { retryAfterSec: 1e21 } },
			'outages.retryAfterSec',
		],
		[
			'a Retry-After over a day',
			{ ...base, tenantCredentials: { roleArn, retryAfterSec: 86_401 } },
			'tenantCredentials.retryAfterSec',
		],
		['no role', { ...base, tenantCredentials: {} }, 'tenantCredentials.roleArn'],
		[
			'a user ARN',
			{ ...base, tenantCredentials: { roleArn: 'arn:aws:iam::123456789012:user/x' } },
			'tenantCredentials.roleArn',
		],
		[
			'a short session',
			{ ...base, tenantCredentials: { roleArn, durationSeconds: 600 } },
			'tenantCredentials.durationSeconds',
		],
		[
			'a session longer than role chaining allows',
			{ ...base, tenantCredentials: { roleArn, durationSeconds: 3_601 } },
			'tenantCredentials.durationSeconds',
		],
		[
			'a refresh leaving no time',
			{ ...base, tenantCredentials: { roleArn, refreshBeforeExpiryMs: 900_000 } },
			'tenantCredentials.refreshBeforeExpiryMs',
		],
		[
			'tags not a function',
			{ ...base, tenantCredentials: { roleArn, sessionTags: { a: 'b' } } },
			'tenantCredentials.sessionTags',
		],
		[
			'async tags',
			{ ...base, tenantCredentials: { roleArn, sessionTags: async () => ({}) } },
			'tenantCredentials.sessionTags',
		],
		[
			'an async session policy',
			{ ...base, tenantCredentials: { roleArn, sessionPolicy: async () => '{}' } },
			'tenantCredentials.sessionPolicy',
		],
		[
			'sts without send',
			{ ...base, tenantCredentials: { roleArn, sts: {} } },
			'tenantCredentials.sts',
		],
		[
			'unknown credentials option',
			{ ...base, tenantCredentials: { roleArn, externalId: 'x' } },
			'tenantCredentials.externalId',
		],
		['guard true', { ...base, dynamoTenantGuard: true }, 'dynamoTenantGuard'],
		[
			'empty partition key',
			{ ...base, dynamoTenantGuard: { partitionKey: '' } },
			'dynamoTenantGuard.partitionKey',
		],
		[
			'indexes not a map',
			{ ...base, dynamoTenantGuard: { indexes: ['gsi1'] } },
			'dynamoTenantGuard.indexes',
		],
		[
			'allowScan as a string',
			{ ...base, dynamoTenantGuard: { allowScan: 'yes' } },
			'dynamoTenantGuard.allowScan',
		],
		[
			'allowCommands with a bad name',
			{ ...base, dynamoTenantGuard: { allowCommands: ['scan table'] } },
			'dynamoTenantGuard.allowCommands',
		],
		[
			'unknown guard option',
			{ ...base, dynamoTenantGuard: { sortKey: 'sk' } },
			'dynamoTenantGuard.sortKey',
		],
		[
			'a tracer without captureAWSv3Client',
			{ ...base, tracer: { isTracingEnabled: () => true } },
			'tracer',
		],
		[
			'a tracer without the X-Ray SDK behind it (provider)',
			{ ...base, tracer: tracerWithoutProvider },
			'tracer',
		],
		['an empty table name', { ...base, tableName: '' }, 'tableName'],
		['onViolation not a function', { ...base, onViolation: 'log' }, 'onViolation'],
		[
			'concurrentInvocations not a boolean',
			{ ...base, concurrentInvocations: 'yes' },
			'concurrentInvocations',
		],
	])('%s', (_name, options, option) => {
		expect(build(options)).toThrow(TypeError)
		expect(build(options)).toThrow(
			expect.objectContaining({ cause: { package: '@tenantry/aws-clients', option } }),
		)
	})

	it.each(['Scan', 'Query', 'GetItem', 'TransactWriteItems'])(
		'refuses allowCommands listing %s, which the guard checks by its own rule',
		(name) => {
			expect(() =>
				awsClients({ ...base, dynamoTenantGuard: { allowCommands: ['DescribeTable', name] } }),
			).toThrow(
				expect.objectContaining({
					name: 'TypeError',
					cause: { package: '@tenantry/aws-clients', option: 'dynamoTenantGuard.allowCommands' },
				}),
			)
		},
	)

	it('accepts the minimal form and undefined for defaults', () => {
		expect(awsClients(base).before).toBeTypeOf('function')
		expect(
			awsClients({
				...base,
				config: undefined,
				tenantCredentials: undefined,
				dynamoTenantGuard: false,
			}).before,
		).toBeTypeOf('function')
	})

	it('lists every option and its default', () => {
		expect(Object.keys(defaults).sort()).toEqual(
			[
				'concurrentInvocations',
				'config',
				'dynamoTenantGuard',
				'httpHandler',
				'onViolation',
				'outages',
				'perClient',
				'tableName',
				'tenantCredentials',
				'tracer',
			].sort(),
		)
		expect(httpHandlerDefaults).toEqual({
			maxSockets: 50,
			connectionTimeout: 3_000,
			requestTimeout: 3_000,
		})
		expect(tenantCredentialsDefaults).toEqual({
			durationSeconds: 900,
			refreshBeforeExpiryMs: 300_000,
			retryAfterSec: 5,
			maxTenants: 1_000,
		})
		expect(outagesDefaults).toEqual({ retryAfterSec: 5 })
		expect(guardDefaults).toEqual({
			partitionKey: 'pk',
			indexes: {},
			allowScan: false,
			allowCommands: [],
		})
	})
})
