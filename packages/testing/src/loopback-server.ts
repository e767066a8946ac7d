import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface LoopbackServer {
	/** `http://127.0.0.1:<port>` */
	readonly url: string
	readonly port: number
	/** Closes the server, dropping keep-alive and in-flight connections. */
	close(): Promise<void>
}

/** Starts `server` on a random 127.0.0.1 port. */
export const listenOnLoopback = async (server: Server): Promise<LoopbackServer> => {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject)
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject)
			resolve()
		})
	})
	const { port } = server.address() as AddressInfo
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections()
				server.close(() => resolve())
			}),
	}
}

export type RequestHandler = (
	request: IncomingMessage,
	body: Buffer,
	response: ServerResponse,
) => void | Promise<void>

/** An HTTP server on loopback whose handler receives the whole request body. */
export const startHttpServer = (
	handler: RequestHandler,
	maxBodyBytes = 1_048_576,
): Promise<LoopbackServer> =>
	listenOnLoopback(
		createServer((request, response) => {
			const chunks: Buffer[] = []
			let size = 0
			// A body past the limit is read to its end and dropped, then answered 413: cutting the
			// connection while the client still writes gets it a reset rather than the answer.
			request.on('data', (chunk: Buffer) => {
				size += chunk.length
				if (size <= maxBodyBytes) chunks.push(chunk)
			})
			request.on('end', () => {
				if (size > maxBodyBytes) {
					response.writeHead(413).end()
					return
				}
				Promise.resolve(handler(request, Buffer.concat(chunks), response)).catch(
					(error: unknown) => {
						if (!response.headersSent) response.writeHead(500)
						response.end(String(error))
					},
				)
			})
		}),
	)

/** Resolves after `ms`, or at once when `signal` aborts (so `stop()` never waits on a delay). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
	new Promise((resolve) => {
		if (signal?.aborted) return resolve()
		const timer = setTimeout(done, ms)
		function done() {
			clearTimeout(timer)
			signal?.removeEventListener('abort', done)
			resolve()
		}
		signal?.addEventListener('abort', done, { once: true })
	})
