import type { Tracer } from '@aws-lambda-powertools/tracer'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { STSClient } from '@aws-sdk/client-sts'
import middy from '@middy/core'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import type { TenantContext } from '@tenantry/util'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { describe, expectTypeOf, it } from 'vitest'
import { awsClients, getClient } from '../src/index.js'

describe('types', () => {
	it('maps the client classes to context.clients instances', () => {
		middy<APIGatewayProxyEventV2>()
			.use(tenantIsolation())
			.use(
				awsClients({
					clients: { dynamodb: DynamoDBClient, sts: STSClient },
					perClient: { dynamodb: { maxAttempts: 2 } },
				}),
			)
			.handler(async (event, context) => {
				expectTypeOf(context.clients.dynamodb).toEqualTypeOf<DynamoDBClient>()
				expectTypeOf(context.clients.sts).toEqualTypeOf<STSClient>()
				expectTypeOf(context.tableName).toEqualTypeOf<string | undefined>()
				expectTypeOf(context.tenant).toEqualTypeOf<TenantContext>()
				expectTypeOf(event).toEqualTypeOf<APIGatewayProxyEventV2>()
				expectTypeOf(context.clients).not.toHaveProperty('s3')
				return { statusCode: 200 }
			})
	})

	it('types perClient from each class and refuses unknown clients', () => {
		const wrongType = () =>
			awsClients({
				clients: { dynamodb: DynamoDBClient },
				// @ts-expect-error maxAttempts is a number
				perClient: { dynamodb: { maxAttempts: 'two' } },
			})
		const unknownClient = () =>
			awsClients({
				clients: { dynamodb: DynamoDBClient },
				// @ts-expect-error no client named s3
				perClient: { s3: {} },
			})
		// @ts-expect-error a client must be a class
		const notAClass = () => awsClients({ clients: { dynamodb: 'DynamoDBClient' } })
		expectTypeOf([wrongType, unknownClient, notAClass]).toBeArray()
	})

	it('accepts a Powertools Tracer as it is', () => {
		const withTracer = (tracer: Tracer) =>
			awsClients({ clients: { dynamodb: DynamoDBClient }, tracer })
		expectTypeOf(withTracer).toBeFunction()
	})

	it('returns the instance type from getClient', () => {
		expectTypeOf(getClient(DynamoDBClient, { region: 'us-east-1' })).toEqualTypeOf<DynamoDBClient>()
		expectTypeOf(getClient(STSClient)).toEqualTypeOf<STSClient>()
	})
})
