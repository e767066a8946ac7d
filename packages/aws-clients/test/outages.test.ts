import {
	ConditionalCheckFailedException,
	GetItemCommand,
	PutItemCommand,
	TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import type { Fault } from '@tenantry/testing'
import { HttpError } from '@tenantry/util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AwsServiceUnavailableError, isServiceOutage } from '../src/index.js'
import { pipeline, type Stack, startStack, table, tenantDynamoDbOptions } from './harness.js'

let stack: Stack
beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

/** The error a handler's `send()` rejected with, by name, with what it wraps. */
const outcome = (error: unknown) => ({
	name: (error as Error).name,
	status: (error as { statusCode?: number }).statusCode,
	retryAfter: (error as { headers?: Record<string, string> }).headers?.['Retry-After'],
	cause: (error as { cause?: Error }).cause?.name,
	sdkError: (error as { cause?: { cause?: Error } }).cause?.cause?.name,
})

/** DynamoDB's next `operation` answers a 400 of this error type, as DynamoDB sends it. */
const answerClientError = (operation: string, type: string, fields: Record<string, unknown>) =>
	stack.dynamodb.faults.inject(
		{
			type: 'respond',
			status: 400,
			headers: { 'Content-Type': 'application/x-amz-json-1.0' },
			body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, ...fields }),
		},
		{ target: operation },
	)

const getItem = (key: string) =>
	new GetItemCommand({ TableName: table, Key: { pk: { S: key }, sk: { S: 'item' } } })

describe('AWS outages through tenant clients', () => {
	it.each<[string, Fault, string]>([
		['throttling past the retries', { type: 'throttle' }, 'ProvisionedThroughputExceededException'],
		['a 5xx', { type: 'server-error' }, 'InternalServerError'],
		['a dropped connection', { type: 'down' }, 'TimeoutError'],
		['no answer within the request timeout', { type: 'delay', ms: 2_000 }, 'TimeoutError'],
		['an answer that cannot be read', { type: 'malformed' }, 'SyntaxError'],
	])(
		'answer %s with a 503 and Retry-After, the SDK error as the cause',
		async (_, fault, sdkError) => {
			stack.dynamodb.faults.inject(fault, { target: 'GetItem' })
			const { invoke } = pipeline(
				tenantDynamoDbOptions(stack, {
					httpHandler: { requestTimeout: 150 },
					outages: { retryAfterSec: 7 },
				}),
				async (context) => {
					try {
						await context.clients.dynamodb.send(getItem(context.tenant.key('item', '1')))
						return 'answered'
					} catch (error) {
						expect(error).toBeInstanceOf(HttpError)
						expect((error as { cause?: unknown }).cause).toBeInstanceOf(AwsServiceUnavailableError)
						return outcome(error)
					}
				},
			)
			const response = await invoke('acme')
			expect(JSON.parse(response.body)).toEqual({
				name: 'ServiceUnavailableError',
				status: 503,
				retryAfter: '7',
				cause: 'AwsServiceUnavailableError',
				sdkError,
			})
		},
	)

	it('reaches the client as a 503 response with Retry-After when the handler lets it through', async () => {
		stack.dynamodb.faults.inject({ type: 'server-error' }, { target: 'PutItem' })
		const { invoke } = pipeline(tenantDynamoDbOptions(stack), async (context) =>
			context.clients.dynamodb.send(
				new PutItemCommand({
					TableName: table,
					Item: { pk: { S: context.tenant.key('item', '1') }, sk: { S: 'item' } },
				}),
			),
		)
		expect(await invoke('acme')).toMatchObject({
			statusCode: 503,
			headers: { 'Retry-After': '5' },
			body: 'Service Unavailable',
		})
	})

	it('covers document clients built on a tenant client', async () => {
		stack.dynamodb.faults.inject({ type: 'throttle' }, { target: 'GetItem' })
		const { invoke } = pipeline(tenantDynamoDbOptions(stack), async (context) =>
			DynamoDBDocumentClient.from(context.clients.dynamodb).send(
				new GetCommand({
					TableName: table,
					Key: { pk: context.tenant.key('item', '1'), sk: 'item' },
				}),
			),
		)
		expect(await invoke('acme')).toMatchObject({ statusCode: 503 })
	})

	it('answers a DynamoDB transaction cancelled by throttling with a 503', async () => {
		answerClientError('TransactWriteItems', 'TransactionCanceledException', {
			message:
				'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ThrottlingError]',
			CancellationReasons: [
				{ Code: 'None' },
				{ Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity' },
			],
		})
		const { invoke } = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			const put = (id: string) => ({
				Put: {
					TableName: table,
					Item: { pk: { S: context.tenant.key('item', id) }, sk: { S: 'item' } },
				},
			})
			return context.clients.dynamodb.send(
				new TransactWriteItemsCommand({ TransactItems: [put('a'), put('b')] }),
			)
		})
		expect(await invoke('acme')).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
	})

	it('answers a write to an item a DynamoDB transaction holds with a 503, after one attempt', async () => {
		answerClientError('PutItem', 'TransactionConflictException', {
			message: 'Transaction is ongoing for the item',
		})
		const sentBefore = stack.dynamodb.requests.length
		const { invoke } = pipeline(tenantDynamoDbOptions(stack), async (context) =>
			context.clients.dynamodb.send(
				new PutItemCommand({
					TableName: table,
					Item: { pk: { S: context.tenant.key('item', 'held') }, sk: { S: 'item' } },
				}),
			),
		)
		expect(await invoke('acme')).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
		expect(
			stack.dynamodb.requests
				.slice(sentBefore)
				.filter((request) => request.operation === 'PutItem'),
		).toHaveLength(1)
	})

	it('answers a write that met a write in another Region (a global table) with a 503, once the SDK retried it', async () => {
		// Modelled @retryable: the SDK retries it on its own, and what its retries leave is a wait.
		answerClientError('PutItem', 'ReplicatedWriteConflictException', {
			message: 'one or more items in the request are being modified by a request in another Region',
		})
		const { invoke } = pipeline(tenantDynamoDbOptions(stack), async (context) =>
			context.clients.dynamodb.send(
				new PutItemCommand({
					TableName: table,
					Item: { pk: { S: context.tenant.key('item', 'replicated') }, sk: { S: 'item' } },
				}),
			),
		)
		expect(await invoke('acme')).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
	})

	it('answers a session that expired on the way (refreshBeforeExpiryMs: 0) with a 503, after one attempt', async () => {
		answerClientError('GetItem', 'ExpiredTokenException', {
			message: 'The security token included in the request is expired',
		})
		const { invoke } = pipeline(tenantDynamoDbOptions(stack), async (context) =>
			context.clients.dynamodb.send(getItem(context.tenant.key('item', 'expired'))),
		)
		expect(await invoke('acme')).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
		expect(
			stack.dynamodb.requests.filter((request) => request.operation === 'GetItem'),
		).toHaveLength(1)
	})

	it("leaves errors that are the request's own as the SDK raised them", async () => {
		const { invoke } = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			const put = (condition: string) =>
				new PutItemCommand({
					TableName: table,
					Item: { pk: { S: context.tenant.key('item', '2') }, sk: { S: 'item' } },
					ConditionExpression: condition,
				})
			await context.clients.dynamodb.send(put('attribute_not_exists(pk)'))
			const errors = await Promise.all([
				context.clients.dynamodb.send(put('attribute_not_exists(pk)')).catch((error) => error),
				context.clients.dynamodb
					.send(
						new GetItemCommand({
							TableName: 'no-such-table',
							Key: { pk: { S: context.tenant.key('item', '2') } },
						}),
					)
					.catch((error) => error),
			])
			expect(errors[0]).toBeInstanceOf(ConditionalCheckFailedException)
			return errors.map((error) => (error as Error).name)
		})
		expect(JSON.parse((await invoke('acme')).body)).toEqual([
			'ConditionalCheckFailedException',
			'ResourceNotFoundException',
		])
	})

	it('leaves the SDK errors alone with outages: false', async () => {
		stack.dynamodb.faults.inject({ type: 'server-error' }, { target: 'GetItem' })
		const { invoke } = pipeline(tenantDynamoDbOptions(stack, { outages: false }), async (context) =>
			context.clients.dynamodb
				.send(getItem(context.tenant.key('item', '1')))
				.catch((error: Error) => error.name),
		)
		expect(JSON.parse((await invoke('acme')).body)).toBe('InternalServerError')
	})
})

describe('isServiceOutage', () => {
	const sdkError = (name: string, fields: Record<string, unknown>) =>
		Object.assign(new Error('failed'), { name, ...fields })

	it.each([
		['a server fault', sdkError('InternalServerError', { $fault: 'server' })],
		['a 503', sdkError('ServiceUnavailable', { $metadata: { httpStatusCode: 503 } })],
		['a 429', sdkError('TooManyRequests', { $metadata: { httpStatusCode: 429 } })],
		['a throttling name', sdkError('ThrottlingException', { $fault: 'client' })],
		['a throttling trait', sdkError('Custom', { $retryable: { throttling: true } })],
		[
			"KMS throttling an SNS topic's key (the SDK does not retry it)",
			sdkError('KMSThrottlingException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
		],
		[
			"KMS throttling an SQS queue's key (the SDK does not retry it)",
			sdkError('KmsThrottled', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
		],
		[
			'a session that expired on the way',
			sdkError('ExpiredTokenException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
		],
		[
			'a retryable trait (a conflict with a write in another Region)',
			sdkError('ReplicatedWriteConflictException', { $fault: 'client', $retryable: {} }),
		],
		['a timeout', sdkError('TimeoutError', {})],
		['an unreachable endpoint', sdkError('Error', { code: 'ECONNREFUSED' })],
		['an unreadable 2xx answer', sdkError('SyntaxError', { $metadata: { httpStatusCode: 200 } })],
		['a temporary DNS failure', sdkError('Error', { code: 'EAI_AGAIN' })],
		[
			'a DynamoDB transaction cancelled by throttling alone',
			sdkError('TransactionCanceledException', {
				$fault: 'client',
				$metadata: { httpStatusCode: 400 },
				CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }],
			}),
		],
		[
			"an item a DynamoDB transaction holds (the SDK's own retries do not cover it)",
			sdkError('TransactionConflictException', {
				$fault: 'client',
				$metadata: { httpStatusCode: 400 },
			}),
		],
		[
			'a DynamoDB transaction cancelled by conflicts and throttling alone',
			sdkError('TransactionCanceledException', {
				$fault: 'client',
				$metadata: { httpStatusCode: 400 },
				CancellationReasons: [
					{ Code: 'TransactionConflict' },
					{ Code: 'None' },
					{ Code: 'ThrottlingError' },
				],
			}),
		],
	])('counts %s', (_, error) => {
		expect(isServiceOutage(error)).toBe(true)
	})

	it.each([
		// A proxy's or a load balancer's 500 carries no fault field: the status alone says it.
		['a 500 without a fault', sdkError('UnknownError', { $metadata: { httpStatusCode: 500 } })],
		[
			"a DynamoDB transaction cancelled by a table's or index's capacity alone",
			sdkError('TransactionCanceledException', {
				$fault: 'client',
				$metadata: { httpStatusCode: 400 },
				CancellationReasons: [{ Code: 'None' }, { Code: 'ProvisionedThroughputExceeded' }],
			}),
		],
	])('counts %s, which no other field marks as an outage', (_, error) => {
		expect(isServiceOutage(error)).toBe(true)
	})

	it.each([
		[
			'a validation error',
			sdkError('ValidationException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
		],
		[
			'access denied',
			sdkError('AccessDeniedException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
		],
		[
			'a failed condition',
			sdkError('ConditionalCheckFailedException', { $metadata: { httpStatusCode: 400 } }),
		],
		['an HttpError (the guard, the request binding, tenant credentials)', new HttpError(503)],
		[
			'a 501 (a feature the service does not support)',
			sdkError('NotImplemented', { $fault: 'server', $metadata: { httpStatusCode: 501 } }),
		],
		['a host name that does not resolve', sdkError('Error', { code: 'ENOTFOUND' })],
		[
			'a DynamoDB transaction with a failed condition among throttled items',
			sdkError('TransactionCanceledException', {
				$metadata: { httpStatusCode: 400 },
				CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'ThrottlingError' }],
			}),
		],
		[
			'a DynamoDB transaction cancelled without reasons',
			sdkError('TransactionCanceledException', { $metadata: { httpStatusCode: 400 } }),
		],
		[
			'a transaction whose reasons are not reasons',
			sdkError('TransactionCanceledException', {
				CancellationReasons: [null, 'ThrottlingError', {}],
			}),
		],
		[
			'a transaction whose reasons are all None',
			sdkError('TransactionCanceledException', { CancellationReasons: [{ Code: 'None' }] }),
		],
		['something that is not an Error', { name: 'TimeoutError' }],
		['undefined', undefined],
	])('does not count %s', (_, error) => {
		expect(isServiceOutage(error)).toBe(false)
	})
})
