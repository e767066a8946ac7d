import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import { createTenantContext } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { afterEach, describe, expect, it } from 'vitest'
import { type AwsClientsOptions, awsClients } from '../src/index.js'
import { handSetTenant } from './harness.js'

type Options = AwsClientsOptions<{ dynamodb: typeof DynamoDBClient }>
const base = { clients: { dynamodb: DynamoDBClient } }
const build = (options: Record<string, unknown>) => () =>
	awsClients({ ...base, ...options } as Options)
const optionError = (option: string) =>
	expect.objectContaining({
		name: 'TypeError',
		cause: { package: '@tenantry/aws-clients', option },
	})

const savedEnv = { ...process.env }
afterEach(() => {
	process.env = { ...savedEnv }
})

describe('tenantCredentials.roleArn of a partition STS cannot reach', () => {
	// STS answers an AssumeRole of another partition's role with an error, so every tenant
	// request would be a 503 from the first one on, with nothing at cold start to say why.
	it.each([
		['China from eu-west-1', 'arn:aws-cn:iam::123456789012:role/tenant', 'eu-west-1'],
		['the commercial partition from China', 'arn:aws:iam::123456789012:role/tenant', 'cn-north-1'],
		['GovCloud from us-east-1', 'arn:aws-us-gov:iam::123456789012:role/tenant', 'us-east-1'],
	])('refuses %s when the middleware is built', (_, roleArn, region) => {
		expect(build({ config: { region }, tenantCredentials: { roleArn } })).toThrow(
			optionError('tenantCredentials.roleArn'),
		)
	})

	it('reads the region from AWS_REGION when config has none', () => {
		process.env.AWS_REGION = 'cn-northwest-1'
		expect(
			build({ tenantCredentials: { roleArn: 'arn:aws:iam::123456789012:role/tenant' } }),
		).toThrow(optionError('tenantCredentials.roleArn'))
	})

	it.each([
		['aws', 'eu-west-1'],
		['aws-cn', 'cn-north-1'],
		['aws-us-gov', 'us-gov-west-1'],
		['aws-iso', 'us-iso-east-1'],
		['aws-iso-b', 'us-isob-east-1'],
		['aws-iso-e', 'eu-isoe-west-1'],
		['aws-iso-f', 'us-isof-south-1'],
		['aws-eusc', 'eusc-de-east-1'],
	])('accepts a role of %s from %s', (partition, region) => {
		const roleArn = `arn:${partition}:iam::123456789012:role/tenant`
		expect(build({ config: { region }, tenantCredentials: { roleArn } })).not.toThrow()
	})

	it('accepts a partition added after this release, whose regions it cannot know', () => {
		const roleArn = 'arn:aws-new:iam::123456789012:role/tenant'
		expect(build({ config: { region: 'xx-new-1' }, tenantCredentials: { roleArn } })).not.toThrow()
	})

	it('accepts any partition when the region is not known yet, or STS is given', () => {
		delete process.env.AWS_REGION
		const roleArn = 'arn:aws-cn:iam::123456789012:role/tenant'
		expect(build({ tenantCredentials: { roleArn } })).not.toThrow()
		expect(
			build({ config: { region: async () => 'cn-north-1' }, tenantCredentials: { roleArn } }),
		).not.toThrow()
		const sts = { send: async () => ({}) }
		expect(
			build({ config: { region: 'eu-west-1' }, tenantCredentials: { roleArn, sts } }),
		).not.toThrow()
	})
})

describe('tenantCredentials.sts given as null', () => {
	it('is a TypeError naming the option, not a bare property read', () => {
		const roleArn = 'arn:aws:iam::123456789012:role/tenant'
		expect(build({ tenantCredentials: { roleArn, sts: null } })).toThrow(
			optionError('tenantCredentials.sts'),
		)
	})
})

describe('dynamoTenantGuard.allowCommands naming a command class', () => {
	// The guard compares operation names (`DescribeTable`); `DescribeTableCommand` never
	// matches, so every DescribeTable would be refused with a 403 in the handler.
	it.each(['DescribeTableCommand', 'ScanCommand', 'ListTablesCommand'])(
		'refuses %s when the middleware is built',
		(name) => {
			expect(build({ dynamoTenantGuard: { allowCommands: [name] } })).toThrow(
				optionError('dynamoTenantGuard.allowCommands'),
			)
		},
	)

	it('accepts the operation name', () => {
		expect(build({ dynamoTenantGuard: { allowCommands: ['DescribeTable'] } })).not.toThrow()
	})
})

describe('tableName DynamoDB refuses', () => {
	// `context.tableName` goes into every command the handler sends: each would fail.
	it.each([
		['blanks', { tableName: '   ' }],
		['a line break read with it', { tableName: 'items\n' }],
		['a shell variable left unexpanded', { tableName: '$ITEMS_TABLE' }],
	])('refuses %s when the middleware is built', (_, options) => {
		expect(build(options)).toThrow(optionError('tableName'))
	})

	it('refuses a blank DYNAMODB_TABLE_NAME (an empty one stays "not set")', () => {
		process.env.DYNAMODB_TABLE_NAME = ' '
		expect(build({})).toThrow(optionError('tableName'))
		process.env.DYNAMODB_TABLE_NAME = ''
		expect(build({})).not.toThrow()
	})

	it('accepts a name or a table ARN', () => {
		expect(build({ tableName: 'items.v2_x-y' })).not.toThrow()
		expect(
			build({ tableName: 'arn:aws:dynamodb:eu-west-1:123456789012:table/items' }),
		).not.toThrow()
	})
})

describe('tenantCredentials.sts of another service', () => {
	// AssumeRole sent through a DynamoDB client reaches DynamoDB's endpoint and fails: every
	// tenant request a 503, with nothing at cold start to say why.
	it('is refused when the middleware is built, naming the service it is for', () => {
		const sts = new DynamoDBClient({ region: 'eu-west-1' })
		const options = { tenantCredentials: { roleArn: 'arn:aws:iam::123456789012:role/t', sts } }
		expect(build(options)).toThrow(optionError('tenantCredentials.sts'))
		expect(build(options)).toThrow(
			"option 'tenantCredentials.sts' must be an STSClient, not a client of DynamoDB",
		)
	})
})

describe('a client class whose instances have no middlewareStack', () => {
	it("answers a plain 500 naming what a tenant's client needs, when the handler reads it", async () => {
		// It sends, so it passes the factory's check; only an AWS SDK v3 client can be bound to a
		// tenant's requests, and one that is not must never serve a tenant unbound.
		class NotAnSdkClient {
			send() {
				return Promise.resolve({})
			}
		}
		const errors: unknown[] = []
		const handler = middy(async (_event: unknown, context: Context) => {
			;(context as unknown as { clients: { custom: NotAnSdkClient } }).clients.custom
			return { statusCode: 200 }
		})
			.use(httpErrorHandler({ logger: (error: unknown) => errors.push(error) }))
			.use(handSetTenant(() => createTenantContext('acme')))
			.use(awsClients({ clients: { custom: NotAnSdkClient } }))
		await expect(handler(httpApiEvent(), lambdaContext())).resolves.toMatchObject({
			statusCode: 500,
		})
		expect(errors).toEqual([
			expect.objectContaining({ message: expect.stringContaining('needs a middlewareStack') }),
		])
	})
})
