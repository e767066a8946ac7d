import { inspect } from 'node:util'
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import errorLogger from '@middy/error-logger'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pipeline, type Stack, startStack, table, tenantDynamoDbOptions } from './harness.js'

let stack: Stack
beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

describe('tenant clients with @middy/error-logger', () => {
	it('log neither the item nor any credentials when DynamoDB is down', async () => {
		const logged: unknown[] = []
		const contexts: string[] = []
		const { invoke, errors } = pipeline(
			tenantDynamoDbOptions(stack),
			async (context) => {
				const key = { pk: { S: context.tenant.key('item', '1') }, sk: { S: 'item' } }
				// A first call, so the tenant's session exists when the context is printed.
				await context.clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: key }))
				contexts.push(inspect(context, { depth: 10 }))
				stack.dynamodb.faults.inject({ type: 'server-error' }, { target: 'PutItem' })
				await context.clients.dynamodb.send(
					new PutItemCommand({ TableName: table, Item: { ...key, card: { S: '4111-1111' } } }),
				)
			},
			{ first: errorLogger({ logger: (request) => void logged.push(request.error) }) },
		)
		expect((await invoke('acme')).statusCode).toBe(503)
		const issued = stack.sts.assumeRoleCalls.map((call) => call.accessKeyId)
		expect(issued).toHaveLength(1)
		expect(logged).toHaveLength(1)
		expect(errors).toHaveLength(1)
		// What loggers print: util.inspect (console.error) to any depth, or JSON. The SDK error's
		// `$response`, which holds the signed request and its session token, is not enumerable,
		// so only inspect's showHidden reaches it.
		for (const text of [
			inspect([logged, errors, contexts], { depth: 30 }),
			JSON.stringify([logged, errors]),
		]) {
			expect(text).not.toContain('4111-1111')
			expect(text).not.toMatch(/secretAccessKey|sessionToken|x-amz-security-token/i)
			for (const accessKeyId of issued) expect(text).not.toContain(accessKeyId)
		}
	})
})
