import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { type ClientRequest, createServer, globalAgent, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { JwksError, JwksTimeoutError } from '../src/index.js'
import { fetchJwksDocument } from '../src/jwks-fetch.js'

/**
 * A failed JWKS fetch is rejected once its request has closed (so that an X-Ray subsegment
 * opened around node:http closes first), yet within jwks.timeoutMs whatever the request's state:
 * every token of a cold container waits on this one fetch.
 */

const servers: Server[] = []
afterEach(async () => {
	for (const server of servers.splice(0)) {
		server.closeAllConnections()
		await new Promise((resolve) => server.close(resolve))
	}
})

/** An issuer that answers `/held` never, `/stall` with headers only, and `/big` with `bytes`. */
const startIssuer = async (): Promise<string> => {
	const server = createServer((req, res) => {
		if (req.url === '/held') return
		if (req.url === '/stall') {
			res.writeHead(200, { 'content-length': 100 })
			res.write('{')
			return
		}
		if (req.url === '/big') {
			res.end(JSON.stringify({ keys: [], padding: 'x'.repeat(5_000) }))
			return
		}
		if (req.url === '/cut') {
			res.writeHead(200, { 'content-length': 100 })
			res.write('{', () => req.socket.destroy())
			return
		}
		res.writeHead(404)
		res.end()
	})
	servers.push(server)
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('fetchJwksDocument, a failed fetch', () => {
	it.each(['/stall', '/big', '/cut', '/missing'])(
		'rejects %s only once its request has closed',
		async (path) => {
			const issuer = await startIssuer()
			const requests: ClientRequest[] = []
			const onStart = (message: unknown) => {
				requests.push((message as { request: ClientRequest }).request)
			}
			subscribe('http.client.request.start', onStart)
			try {
				const closedAtRejection = await fetchJwksDocument(`${issuer}${path}`, {
					timeoutMs: 200,
					maxBytes: 1_000,
				}).then(
					() => 'resolved',
					(error: unknown) => (error instanceof JwksError ? requests[0]?.closed : error),
				)
				expect(closedAtRejection).toBe(true)
			} finally {
				unsubscribe('http.client.request.start', onStart)
			}
		},
	)

	// An application may cap node:http's global agent (maxSockets); a request queued behind a
	// socket that another request to the issuer's host holds closes only once that socket frees.
	it('rejects within timeoutMs while the agent has no socket free for it', async () => {
		const issuer = await startIssuer()
		const before = globalAgent.maxSockets
		globalAgent.maxSockets = 1
		const held = request(`${issuer}/held`)
		held.on('error', () => undefined)
		held.end()
		try {
			await expect(
				fetchJwksDocument(`${issuer}/jwks`, { timeoutMs: 50, maxBytes: 1_000 }),
			).rejects.toBeInstanceOf(JwksTimeoutError)
		} finally {
			globalAgent.maxSockets = before
			held.destroy()
		}
	})
})
