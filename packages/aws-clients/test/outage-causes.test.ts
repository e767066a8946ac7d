import { inspect } from 'node:util'
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import type { Fault } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pipeline, type Stack, startStack, table, tenantDynamoDbOptions } from './harness.js'

/**
 * What a logger receives for a 503 must not hold credentials. An SDK error keeps its raw HTTP
 * exchange in `$response` (not enumerable): its body's socket leads to the signed request, with
 * the session token and the access key id. `util.inspect` with `showHidden`, and loggers that
 * walk every property, print it.
 */

let stack: Stack
beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

const everything = (value: unknown) => inspect(value, { showHidden: true, depth: Infinity })

const signedRequestParts = ['x-amz-security-token', 'AWS4-HMAC-SHA256 Credential=']

const getItem = (key: string) =>
	new GetItemCommand({ TableName: table, Key: { pk: { S: key }, sk: { S: 'item' } } })

describe('the cause of a 503 a logger receives', () => {
	it.each<[string, Fault]>([
		['a 5xx', { type: 'server-error' }],
		['throttling', { type: 'throttle' }],
	])('holds no signed request of the tenant session after %s', async (_, fault) => {
		stack.dynamodb.faults.inject(fault, { target: 'GetItem' })
		const { invoke, errors } = pipeline(tenantDynamoDbOptions(stack), async (context) =>
			context.clients.dynamodb.send(getItem(context.tenant.key('item', '1'))),
		)
		expect((await invoke('acme')).statusCode).toBe(503)
		expect(errors).toHaveLength(1)
		const logged = everything(errors[0])
		// The SDK error is still there, by name.
		expect(logged).toContain('AwsServiceUnavailableError')
		for (const part of signedRequestParts) expect(logged).not.toContain(part)
	})

	it("holds no signed request of the function's own role when AssumeRole fails", async () => {
		stack.sts.faults.inject({ type: 'server-error' })
		const { invoke, errors } = pipeline(tenantDynamoDbOptions(stack), async (context) =>
			context.clients.dynamodb.send(getItem(context.tenant.key('item', '1'))),
		)
		expect((await invoke('acme')).statusCode).toBe(503)
		expect(errors).toHaveLength(1)
		const logged = everything(errors[0])
		expect(logged).toContain('TenantCredentialsUnavailableError')
		for (const part of signedRequestParts) expect(logged).not.toContain(part)
	})
})
