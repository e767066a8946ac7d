import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Pipeline, pipeline, type Stack, startStack, table } from './harness.js'

/**
 * The guard is attached to a tenant client whose `config.serviceId` is `DynamoDB`, and a client
 * takes its `serviceId` from its configuration when one is given: a DynamoDB client configured
 * with another one still signs and reaches DynamoDB, unguarded.
 */

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
	await stack.admin.send(
		new PutItemCommand({
			TableName: table,
			Item: { pk: { S: 'TENANT#globex#secret' }, sk: { S: '1' }, data: { S: 'globex-only' } },
		}),
	)
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

describe('a serviceId in the client configuration', () => {
	it.each([
		[
			'perClient',
			(endpoint: string) => ({
				perClient: { dynamodb: { endpoint, maxAttempts: 1, serviceId: 'Dynamo DB' } },
			}),
		],
		[
			'config',
			(endpoint: string) => ({
				config: { serviceId: 'Dynamo DB' },
				perClient: { dynamodb: { endpoint, maxAttempts: 1 } },
			}),
		],
	])("(%s) is a TypeError at factory time: globex's item is never read", async (_where, given) => {
		const options = { clients: { dynamodb: DynamoDBClient }, ...given(stack.dynamodb.endpoint) }
		let refused: unknown
		let run: Pipeline | undefined
		try {
			run = pipeline(options, async (context) => {
				const { Item } = await context.clients.dynamodb.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: 'TENANT#globex#secret' }, sk: { S: '1' } },
					}),
				)
				return Item?.data?.S
			})
		} catch (error) {
			refused = error
		}
		const response = await run?.invoke('acme')
		expect({ refused: refused instanceof TypeError, read: response?.body }).toEqual({
			refused: true,
			read: undefined,
		})
	})
})
