import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	pipeline,
	type Stack,
	startStack,
	table,
	tableItems,
	tenantDynamoDbOptions,
} from './harness.js'

// The guard's rules also run before credentials are resolved, on the input as it is then.
// Whatever can still change the input before the build step (a document command's marshalling,
// which turns any value whose constructor is named String into { S }, and the application's own
// initialize middlewares) must not turn a request for the tenant's own key into a 403.

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

describe('the guard before credentials refuses only what the guard on the marshalled input refuses', () => {
	it('a document command whose own key is a String object (marshalled to { S }) is sent', async () => {
		const { invoke, violations } = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			await DynamoDBDocumentClient.from(context.clients.dynamodb).send(
				new PutCommand({
					TableName: table,
					// util-dynamodb marshalls it as { S: 'TENANT#acme#item#string' }
					Item: { pk: new String(`${context.tenant.keyPrefix}item#string`), sk: '1' },
				}),
			)
		})
		const response = await invoke('acme')
		expect(violations).toEqual([])
		expect(response.statusCode).toBe(200)
		expect(await tableItems(stack)).toContainEqual(
			expect.stringContaining('TENANT#acme#item#string'),
		)
	})

	it('a key completed by a middleware of the application (initialize step) is sent', async () => {
		const { invoke, violations } = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			const client = context.clients.dynamodb
			// The application scopes its keys itself: `pk` is written relative to the tenant.
			client.middlewareStack.add(
				(next) => (args) => {
					const input = args.input as { Item: Record<string, { S: string }> }
					const pk = input.Item.pk as { S: string }
					return next({
						...args,
						input: {
							...input,
							Item: { ...input.Item, pk: { S: `${context.tenant.keyPrefix}${pk.S}` } },
						},
					})
				},
				{ step: 'initialize', name: 'appTenantKeys', override: true },
			)
			await client.send(
				new PutItemCommand({
					TableName: table,
					Item: { pk: { S: 'item#relative' }, sk: { S: '1' } },
				}),
			)
		})
		const response = await invoke('acme')
		expect(violations).toEqual([])
		expect(response.statusCode).toBe(200)
		expect(await tableItems(stack)).toContainEqual(
			expect.stringContaining('TENANT#acme#item#relative'),
		)
	})
})
