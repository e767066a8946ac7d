import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedHttpHandler } from '../src/http-handler.js'

/**
 * Each timeout is capped at 2^31 − 1 ms, but `@smithy/node-http-handler`
 * also arms a socket-acquisition warning timer of `requestTimeout + connectionTimeout` unless
 * told otherwise. Two accepted values whose sum passes 2^31 − 1 still overflow a Node timer:
 * a `TimeoutOverflowWarning` on every call (and the socket check run after 1 ms).
 */

let server: Server
let port: number

beforeAll(async () => {
	server = createServer((_, response) => response.end('{}'))
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('httpHandler timeouts that are each within a Node timer', () => {
	it('arm no timer beyond 2^31 − 1 ms, whatever their sum', async () => {
		const warnings: string[] = []
		const onWarning = (warning: Error) => {
			if (warning.name === 'TimeoutOverflowWarning') warnings.push(warning.message)
		}
		process.on('warning', onWarning)
		try {
			const handler = sharedHttpHandler({
				maxSockets: 1,
				connectionTimeout: 2_147_483_647,
				requestTimeout: 2_147_483_647,
			})
			// The fields the handler reads; `HttpRequest` lives in a package this one does not depend on.
			const request = {
				protocol: 'http:',
				hostname: '127.0.0.1',
				port,
				method: 'GET',
				path: '/',
				query: {},
				headers: {},
			} as unknown as Parameters<typeof handler.handle>[0]
			const { response } = await handler.handle(request)
			expect(response.statusCode).toBe(200)
			// Warnings are emitted on the next tick.
			await new Promise((resolve) => setTimeout(resolve, 20))
		} finally {
			process.off('warning', onWarning)
		}
		expect(warnings).toEqual([])
	})
})
