import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout } from 'node:timers/promises'
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pipeline, roleArn, type Stack, startStack } from './harness.js'

/**
 * An S3 stand-in whose `stall` object sends its headers and 10 of its 100 bytes, then nothing:
 * what a connection that dies mid-body looks like from the client. Counts connections.
 */
const startStallingS3 = async () => {
	let connections = 0
	const server = createServer((request, response) => {
		if (request.url?.includes('/stall')) {
			response.writeHead(200, { 'Content-Length': 100 }).write('x'.repeat(10))
			return
		}
		response.writeHead(200, { 'Content-Length': 5 }).end('whole')
	})
	server.on('connection', () => {
		connections++
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return {
		endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		connections: () => connections,
		stop: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections()
				server.close(() => resolve())
			}),
	}
}

let stack: Stack
let s3: Awaited<ReturnType<typeof startStallingS3>>
beforeAll(async () => {
	;[stack, s3] = await Promise.all([startStack(), startStallingS3()])
})
afterAll(() => Promise.all([stack.stop(), s3.stop()]))
beforeEach(() => stack.reset())

const requestTimeout = 200

const run = () =>
	pipeline(
		{
			clients: { s3: S3Client },
			perClient: { s3: { endpoint: s3.endpoint, forcePathStyle: true, maxAttempts: 1 } },
			tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
			httpHandler: { requestTimeout },
		},
		async (context, event) => {
			const { Body } = await context.clients.s3.send(
				new GetObjectCommand({ Bucket: 'files', Key: `acme/${String(event.key)}` }),
			)
			// Far beyond the request timeout: a read still pending then would wait for ever.
			return Promise.race([
				(Body?.transformToString() ?? Promise.resolve('')).then(
					(text) => `read ${text}`,
					(error: Error) => error.name,
				),
				setTimeout(1_500, 'still waiting'),
			])
		},
	)

describe("a streamed body (S3 GetObject's) that stalls after send() resolved", () => {
	it('fails to read once no byte came for the request timeout, instead of waiting for ever', async () => {
		const response = await run().invoke('acme', { key: 'stall' })
		expect(JSON.parse(response.body)).toBe('TimeoutError')
	})

	it('leaves idle keep-alive connections to be reused', async () => {
		const { invoke } = run()
		const before = s3.connections()
		const first = await invoke('acme', { key: 'whole' })
		await setTimeout(requestTimeout * 2)
		const second = await invoke('acme', { key: 'whole' })
		expect({
			bodies: [JSON.parse(first.body), JSON.parse(second.body)],
			connections: s3.connections() - before,
		}).toEqual({ bodies: ['read whole', 'read whole'], connections: 1 })
	})
})
