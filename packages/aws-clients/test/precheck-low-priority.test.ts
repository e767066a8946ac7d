import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	pipeline,
	type Stack,
	startStack,
	table,
	tableItems,
	tenantDynamoDbOptions,
} from './harness.js'

// The guard's rules also run before credentials are resolved, after the application's own
// middlewares that may still complete a key, whatever their priority: the SDK orders middlewares
// of one step and priority by when they were added, and the guard is added when the tenant's
// client is built, before the application adds its own in the handler.

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

type Placement = { step: 'initialize'; priority: 'low' } | { step: 'serialize'; priority: 'high' }

describe('a key completed by an application middleware the SDK runs after the precheck', () => {
	it.each<[string, Placement]>([
		['initialize, priority low', { step: 'initialize', priority: 'low' }],
		[
			'serialize, priority high (before credentials are resolved too)',
			{ step: 'serialize', priority: 'high' },
		],
	])('%s: the own-tenant request is sent, nothing is reported', async (_, placement) => {
		const { invoke, violations } = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			const client = context.clients.dynamodb
			// The application scopes its keys itself: `pk` is written relative to the tenant.
			const completed = <A extends { input: object }>(args: A): A => {
				const input = args.input as { Item: Record<string, { S: string }> }
				const pk = input.Item.pk as { S: string }
				return {
					...args,
					input: {
						...input,
						Item: { ...input.Item, pk: { S: `${context.tenant.keyPrefix}${pk.S}` } },
					},
				}
			}
			if (placement.step === 'initialize')
				client.middlewareStack.add((next) => (args) => next(completed(args)), {
					...placement,
					name: 'appTenantKeys',
					override: true,
				})
			else
				client.middlewareStack.add((next) => (args) => next(completed(args)), {
					...placement,
					name: 'appTenantKeys',
					override: true,
				})
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
