import {
	BatchWriteItemCommand,
	DynamoDBClient,
	GetItemCommand,
	PutItemCommand,
} from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTableWithIndex, pipeline, type Stack, startStack } from './harness.js'

// A sparse global secondary index: only some items carry its partition key. Code that leaves
// the attribute out with `undefined` (what `removeUndefinedValues` is for in a document client;
// the SDK's serializer drops a null or undefined map value of a plain client too) sends an item
// without it. Such a request names no index key at all, for the tenant or any other: the guard
// must not refuse it ("a same-tenant request is never refused").

let stack: Stack
const gsiTable = 'tenant-data-sparse'

beforeAll(async () => {
	stack = await startStack()
	await createTableWithIndex(stack, gsiTable, 'byStatus', ['gsi1pk'])
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

type Send = (client: DynamoDBClient, keyPrefix: string) => Promise<unknown>

const guarded = (send: Send) =>
	pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			dynamoTenantGuard: { partitionKey: 'pk', indexes: { byStatus: 'gsi1pk' } },
		},
		async (context) => send(context.clients.dynamodb, context.tenant.keyPrefix),
	)

const stored = async (pk: string): Promise<boolean> => {
	const { Item } = await stack.admin.send(
		new GetItemCommand({
			TableName: gsiTable,
			Key: { pk: { S: pk }, sk: { S: '1' } },
		}),
	)
	return Item !== undefined
}

describe('an index partition key left out with undefined is not a cross-tenant key', () => {
	it('document client with removeUndefinedValues: the item is stored without gsi1pk', async () => {
		const { invoke, violations } = guarded((client, prefix) =>
			DynamoDBDocumentClient.from(client, {
				marshallOptions: { removeUndefinedValues: true },
			}).send(
				new PutCommand({
					TableName: gsiTable,
					// Not in the index until it has a status: the sparse-index idiom.
					Item: { pk: `${prefix}order#draft`, sk: '1', gsi1pk: undefined },
				}),
			),
		)
		const response = await invoke('acme')
		expect(violations).toEqual([])
		expect(response.statusCode).toBe(200)
		expect(await stored('TENANT#acme#order#draft')).toBe(true)
	})

	it('plain client: an undefined attribute value is not serialised, so nothing foreign is sent', async () => {
		const { invoke, violations } = guarded((client, prefix) =>
			client.send(
				new PutItemCommand({
					TableName: gsiTable,
					Item: {
						pk: { S: `${prefix}order#plain` },
						sk: { S: '1' },
						gsi1pk: undefined as never,
					},
				}),
			),
		)
		const response = await invoke('acme')
		expect(violations).toEqual([])
		expect(response.statusCode).toBe(200)
		expect(await stored('TENANT#acme#order#plain')).toBe(true)
	})

	it('BatchWriteItem: a write request whose other kind is undefined is a plain PutRequest', async () => {
		const { invoke, violations } = guarded((client, prefix) =>
			client.send(
				new BatchWriteItemCommand({
					RequestItems: {
						[gsiTable]: [
							{
								PutRequest: { Item: { pk: { S: `${prefix}order#batch` }, sk: { S: '1' } } },
								// The SDK serialises no member that is undefined.
								DeleteRequest: undefined,
							},
						],
					},
				}),
			),
		)
		const response = await invoke('acme')
		expect(violations).toEqual([])
		expect(response.statusCode).toBe(200)
		expect(await stored('TENANT#acme#order#batch')).toBe(true)
	})
})
