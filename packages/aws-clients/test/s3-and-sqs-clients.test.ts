import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import middy from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { awsClients, awsClientsPlugin } from '../src/index.js'
import { pipeline, roleArn, type Stack, startStack, tenantOfRequest, testAuth } from './harness.js'
import { type LocalS3, startLocalS3 } from './local-s3.js'

/** SQS's JSON protocol for SendMessage; the next `faults` statuses are answered instead. */
const startLocalSqs = async () => {
	const faults: number[] = []
	const sent: { MessageBody?: string; MessageAttributes?: unknown }[] = []
	const server = createServer((request, response) => {
		const chunks: Buffer[] = []
		request.on('data', (chunk: Buffer) => chunks.push(chunk))
		request.on('end', () => {
			const input = JSON.parse(Buffer.concat(chunks).toString()) as (typeof sent)[number]
			const json = { 'Content-Type': 'application/x-amz-json-1.0' }
			const fault = faults.shift()
			if (fault !== undefined) {
				response
					.writeHead(fault, json)
					.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: 'injected' }))
				return
			}
			sent.push(input)
			// The client checks the body's MD5 (its `md5` option, on by default).
			const md5 = createHash('md5')
				.update(input.MessageBody ?? '')
				.digest('hex')
			response.writeHead(200, json).end(JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: md5 }))
		})
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return {
		endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		faults,
		sent,
		stop: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections()
				server.close(() => resolve())
			}),
	}
}

let stack: Stack
let s3: LocalS3
let sqs: Awaited<ReturnType<typeof startLocalSqs>>
beforeAll(async () => {
	;[stack, s3, sqs] = await Promise.all([startStack(), startLocalS3(), startLocalSqs()])
})
afterAll(() => Promise.all([stack.stop(), s3.stop(), sqs.stop()]))
beforeEach(() => {
	stack.reset()
	s3.requests.length = 0
	s3.objects.clear()
})

const options = () => ({
	clients: { s3: S3Client, sqs: SQSClient },
	perClient: {
		s3: { endpoint: s3.endpoint, forcePathStyle: true, maxAttempts: 1 },
		sqs: { endpoint: sqs.endpoint, maxAttempts: 1 },
	},
	tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
})

const outcome = (error: unknown) => ({
	status: (error as { statusCode?: number }).statusCode,
	retryAfter: (error as { headers?: Record<string, string> }).headers?.['Retry-After'],
	sdkError: (error as { cause?: { cause?: Error } }).cause?.cause?.name,
})

/** Which tenant's session signed each request the local S3 got. */
const signers = () => s3.requests.map(({ accessKeyId }) => tenantOfRequest(stack, accessKeyId))

describe('S3 and SQS clients of a tenant', () => {
	it('puts a streamed body and reads it back, signed with the tenant session', async () => {
		const run = pipeline(options(), async (context) => {
			const { s3: client } = context.clients
			expectTypeOf(client).toEqualTypeOf<S3Client>()
			expectTypeOf(context.clients.sqs).toEqualTypeOf<SQSClient>()
			await client.send(
				new PutObjectCommand({
					Bucket: 'files',
					Key: 'acme/a.txt',
					Body: Readable.from(['str', 'eam']),
					ContentLength: 6,
				}),
			)
			const { Body } = await client.send(
				new GetObjectCommand({ Bucket: 'files', Key: 'acme/a.txt' }),
			)
			return Body?.transformToString()
		})
		const response = await run.invoke('acme')
		expect({ body: JSON.parse(response.body), signers: signers() }).toEqual({
			body: 'stream',
			signers: ['acme', 'acme'],
		})
	})

	it('uploads in parts with lib-storage Upload', async () => {
		const run = pipeline(options(), async (context) => {
			const upload = new Upload({
				client: context.clients.s3,
				params: { Bucket: 'files', Key: 'acme/big', Body: Buffer.alloc(6 * 1_048_576, 1) },
			})
			await upload.done()
			return 'uploaded'
		})
		const response = await run.invoke('acme')
		expect({
			status: response.statusCode,
			size: s3.objects.get('/files/acme/big')?.length,
			requests: s3.requests.length,
			signers: new Set(signers()),
		}).toEqual({ status: 200, size: 6 * 1_048_576, requests: 4, signers: new Set(['acme']) })
	})

	it("presigns with the tenant's session; a kept client presigns nothing in another tenant's request", async () => {
		let kept: S3Client | undefined
		const run = pipeline(
			options(),
			async (context) => {
				kept ??= context.clients.s3
				return getSignedUrl(kept, new GetObjectCommand({ Bucket: 'files', Key: 'acme/a.txt' }), {
					expiresIn: 600,
				}).catch(outcome)
			},
			{ plugin: awsClientsPlugin() },
		)
		const acme = await run.invoke('acme')
		const globex = await run.invoke('globex')
		const url = new URL(JSON.parse(acme.body) as string)
		expect({
			signer: tenantOfRequest(stack, url.searchParams.get('X-Amz-Credential')?.split('/')[0]),
			token: url.searchParams.has('X-Amz-Security-Token'),
			globex: JSON.parse(globex.body),
			violations: run.violations.map(({ code, source }) => ({ code, source })),
			sent: s3.requests.length,
		}).toEqual({
			signer: 'acme',
			token: true,
			globex: { status: 403 },
			violations: [{ code: 'client_of_another_tenant', source: 's3:GetObject' }],
			sent: 0,
		})
	})

	it("keeps S3's NoSuchKey the SDK's error, without its raw HTTP exchange", async () => {
		const run = pipeline(options(), async (context) => {
			try {
				await context.clients.s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'acme/none' }))
				return 'found'
			} catch (error) {
				return {
					noSuchKey: error instanceof NoSuchKey,
					status: (error as NoSuchKey).$metadata.httpStatusCode,
					rawExchange: Object.hasOwn(error as object, '$response'),
				}
			}
		})
		expect(JSON.parse((await run.invoke('acme')).body)).toEqual({
			noSuchKey: true,
			status: 404,
			rawExchange: false,
		})
	})

	it("answers S3's 503 SlowDown and SQS's 500 with a 503 and Retry-After", async () => {
		const run = pipeline(options(), async (context) => {
			s3.faults.push({ status: 503, code: 'SlowDown' })
			sqs.faults.push(500)
			const queue = `${sqs.endpoint}/000000000000/orders`
			return Promise.all([
				context.clients.s3
					.send(new GetObjectCommand({ Bucket: 'files', Key: 'acme/a.txt' }))
					.catch(outcome),
				context.clients.sqs
					.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'x' }))
					.catch(outcome),
			])
		})
		expect(JSON.parse((await run.invoke('acme')).body)).toEqual([
			{ status: 503, retryAfter: '5', sdkError: 'SlowDown' },
			{ status: 503, retryAfter: '5', sdkError: 'InternalError' },
		])
	})

	it('sends an SQS message with its attributes', async () => {
		sqs.sent.length = 0
		const run = pipeline(options(), async (context) => {
			const { MessageId } = await context.clients.sqs.send(
				new SendMessageCommand({
					QueueUrl: `${sqs.endpoint}/000000000000/orders`,
					MessageBody: 'order',
					MessageAttributes: { tenant: { DataType: 'String', StringValue: context.tenant.id } },
				}),
			)
			return MessageId
		})
		expect(JSON.parse((await run.invoke('acme')).body)).toBe('m-1')
		expect(sqs.sent).toEqual([
			expect.objectContaining({
				MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
			}),
		])
	})

	it("streams a GetObject Body in middy's streaming mode, after the handler returned", async () => {
		s3.objects.set('/files/acme/big', Buffer.alloc(1_048_576, 65))
		const runtime = globalThis as { awslambda?: unknown }
		runtime.awslambda = {
			streamifyResponse: (handler: unknown) => handler,
			HttpResponseStream: { from: (stream: unknown) => stream },
		}
		try {
			const handler = middy(
				async (_event: unknown, context: { clients: { s3: S3Client } }) => {
					const { Body } = await context.clients.s3.send(
						new GetObjectCommand({ Bucket: 'files', Key: 'acme/big' }),
					)
					// Not the Body itself: an IncomingMessage has a statusCode, and middy would take
					// it for a response object and stream its (absent) body.
					return { statusCode: 200, body: Body as Readable }
				},
				{ ...awsClientsPlugin(), executionMode: executionModeStreamifyResponse },
			)
			handler
				.use(testAuth())
				.use(tenantIsolation({ onViolation: () => undefined }))
				.use(awsClients(options()))
			const stream = new PassThrough()
			let streamed = 0
			stream.on('data', (chunk: Buffer) => {
				streamed += chunk.length
			})
			const invoke = handler as unknown as (e: unknown, s: unknown, c: unknown) => Promise<void>
			await invoke(
				httpApiEvent({ method: 'GET', headers: { 'x-test-tenant': 'acme' } }),
				stream,
				lambdaContext(),
			)
			expect(streamed).toBe(1_048_576)
		} finally {
			delete runtime.awslambda
		}
	})
})
