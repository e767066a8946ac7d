import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { awsClients, awsClientsPlugin } from '../src/index.js'
import { type Stack, startStack, table } from './harness.js'

/**
 * awsClients reads `context.tenant` in its `before`. `.use()`d ahead of tenantIsolation (an easy
 * slip: the two lines look interchangeable), it found no tenant and handed out the shared client,
 * signed with the function's own credentials and without the DynamoDB guard, while the handler,
 * seeing `context.tenant`, believed it was guarded: another tenant's item was read with a 200 and
 * nothing logged.
 */

let stack: Stack
beforeAll(async () => {
	stack = await startStack()
	await stack.admin.send(
		new PutItemCommand({
			TableName: table,
			Item: { pk: { S: 'TENANT#globex#order#1' }, sk: { S: '1' } },
		}),
	)
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

const event = httpApiEvent({})
// The tenant comes from `resolve`: no authentication is needed to show the order.
const isolation = () => tenantIsolation({ resolve: () => 'acme', onViolation: () => undefined })

describe('awsClients used before tenantIsolation', () => {
	it('refuses the clients with a misconfigured 500 naming the order, instead of serving them unguarded', async () => {
		const errors: unknown[] = []
		const handler = middy<APIGatewayProxyEventV2>(awsClientsPlugin())
			.use(httpErrorHandler({ logger: (error) => void errors.push(error) }))
			.use(
				awsClients({
					clients: { dynamodb: DynamoDBClient },
					perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				}),
			)
			.use(isolation())
			.handler(async (_event, context) => {
				const { Item } = await context.clients.dynamodb.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: 'TENANT#globex#order#1' }, sk: { S: '1' } },
					}),
				)
				return { statusCode: 200, body: JSON.stringify(Item ?? null) }
			})
		const response = await handler(event, lambdaContext())
		expect(response).toMatchObject({ statusCode: 500 })
		expect(stack.dynamodb.requests.map((request) => request.operation)).not.toContain('GetItem')
		expect(String((errors[0] as Error).message)).toMatch(
			/context\.tenant was set after awsClients.*use tenantIsolation\(\) before awsClients\(\)/,
		)
	})

	it('still serves shared clients when the guard is off and no tenant scopes them', async () => {
		const handler = middy<APIGatewayProxyEventV2>(awsClientsPlugin())
			.use(httpErrorHandler())
			.use(
				awsClients({
					clients: { dynamodb: DynamoDBClient },
					perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
					dynamoTenantGuard: false,
				}),
			)
			.use(isolation())
			.handler(async (_event, context) => {
				await context.clients.dynamodb.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: 'GLOBAL#config' }, sk: { S: '1' } },
					}),
				)
				return { statusCode: 200, body: '' }
			})
		await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 200 })
	})
})
