import { inspect } from 'node:util'
import {
	ConditionalCheckFailedException,
	GetItemCommand,
	PutItemCommand,
} from '@aws-sdk/client-dynamodb'
import type { Fault } from '@tenantry/testing'
import { isConditionalCheckFailed } from '@tenantry/util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pipeline, type Stack, startStack, table, tenantDynamoDbOptions } from './harness.js'

/**
 * What a logger receives when a tenant client's call fails must not hold credentials. An SDK
 * error keeps its raw HTTP exchange in `$response` (not enumerable): its socket leads to the
 * signed request, with the session token and access key id. `util.inspect` with `showHidden`,
 * and loggers that walk every property, print it. That holds for the 503 of an outage (whose
 * cause is the SDK error), for a failed AssumeRole (signed with the function's own role) and for
 * a request the service refuses as its own fault (the SDK's error, which the error handler logs
 * as a 500).
 */

let stack: Stack
beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

const signedRequestParts = ['x-amz-security-token', 'AWS4-HMAC-SHA256 Credential=']

const getItem = (key: string) =>
	new GetItemCommand({ TableName: table, Key: { pk: { S: key }, sk: { S: 'item' } } })

/**
 * One GetItem through a tenant client, answered with `status`: everything the error handler's
 * logger received for it, hidden properties included.
 */
const loggedAfterGetItem = async (
	status: number,
	extra: Parameters<typeof tenantDynamoDbOptions>[1] = {},
): Promise<string> => {
	const { invoke, errors } = pipeline(tenantDynamoDbOptions(stack, extra), async (context) =>
		context.clients.dynamodb.send(getItem(context.tenant.key('item', '1'))),
	)
	expect((await invoke('acme')).statusCode).toBe(status)
	expect(errors).toHaveLength(1)
	return inspect(errors[0], { showHidden: true, depth: Number.POSITIVE_INFINITY })
}

const expectNoSignedRequest = (logged: string, stillNamed: string) => {
	// The error is still there, by name.
	expect(logged).toContain(stillNamed)
	for (const part of signedRequestParts) expect(logged).not.toContain(part)
}

describe('the cause of a 503 a logger receives', () => {
	it.each<[string, Fault]>([
		['a 5xx', { type: 'server-error' }],
		['throttling', { type: 'throttle' }],
	])('holds no signed request of the tenant session after %s', async (_, fault) => {
		stack.dynamodb.faults.inject(fault, { target: 'GetItem' })
		expectNoSignedRequest(await loggedAfterGetItem(503), 'AwsServiceUnavailableError')
	})

	it("holds no signed request of the function's own role when AssumeRole fails", async () => {
		stack.sts.faults.inject({ type: 'server-error' })
		expectNoSignedRequest(await loggedAfterGetItem(503), 'TenantCredentialsUnavailableError')
	})
})

describe('the SDK error of a refused request a logger receives', () => {
	it.each<[string, Fault, string]>([
		['access denied', { type: 'access-denied' }, 'AccessDeniedException'],
		[
			'a validation error',
			{
				type: 'respond',
				status: 400,
				body: '{"__type":"com.amazon.coral.validate#ValidationException","message":"invalid key"}',
				headers: { 'content-type': 'application/x-amz-json-1.0' },
			},
			'ValidationException',
		],
	])('holds no signed request of the tenant session after %s', async (_, fault, name) => {
		stack.dynamodb.faults.inject(fault, { target: 'GetItem' })
		expectNoSignedRequest(await loggedAfterGetItem(500), name)
	})

	it('holds no signed request of the tenant session with outages: false either', async () => {
		stack.dynamodb.faults.inject({ type: 'server-error' }, { target: 'GetItem' })
		expectNoSignedRequest(await loggedAfterGetItem(500, { outages: false }), 'InternalServerError')
	})

	it('still lets the handler recognise a failed condition, by class and by name', async () => {
		const { invoke, errors } = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			const put = () =>
				context.clients.dynamodb.send(
					new PutItemCommand({
						TableName: table,
						Item: { pk: { S: context.tenant.key('item', 'once') }, sk: { S: 'item' } },
						ConditionExpression: 'attribute_not_exists(pk)',
					}),
				)
			await put()
			try {
				await put()
				return 'stored twice'
			} catch (error) {
				if (!isConditionalCheckFailed(error)) throw error
				return error instanceof ConditionalCheckFailedException
					? 'refused'
					: 'refused (unknown class)'
			}
		})
		const response = await invoke('acme')
		expect(errors).toEqual([])
		expect(response.body).toBe('"refused"')
	})
})
