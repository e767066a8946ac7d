import { NodeHttpHandler } from '@smithy/node-http-handler'
import { longestTimerMs } from '@tenantry/util'
import { stableHash } from './stable-key.js'

/** The keep-alive connection pool and timeouts shared by every client built with the same values. */
export interface HttpHandlerOptions {
	/** Sockets per host. Default 50. */
	maxSockets?: number | undefined
	/** Milliseconds to establish a connection (at most 2^31 − 1); 0 waits forever. Default 3,000. */
	connectionTimeout?: number | undefined
	/** Milliseconds for the whole request and response (at most 2^31 − 1); 0 waits forever. Default 3,000. */
	requestTimeout?: number | undefined
}

export const httpHandlerDefaults = {
	maxSockets: 50,
	connectionTimeout: 3_000,
	requestTimeout: 3_000,
} as const satisfies Required<HttpHandlerOptions>

/**
 * When the handler warns that no socket came free. Its default is the two timeouts added,
 * which can pass what a Node timer holds though each is within it: a `TimeoutOverflowWarning`
 * on every call. 0 (both wait forever) is the handler's own value then too.
 */
const socketWarningMs = (options: Required<HttpHandlerOptions>): number =>
	Math.min(options.connectionTimeout + options.requestTimeout, longestTimerMs)

const handlers = new Map<string, NodeHttpHandler>()

/**
 * One `NodeHttpHandler` per distinct option set, for the life of the container. A
 * request timeout only logs a warning in `@smithy/node-http-handler` unless
 * `throwOnRequestTimeout` is set, so it always is.
 */
export const sharedHttpHandler = (options: Required<HttpHandlerOptions>): NodeHttpHandler => {
	const key = stableHash(options)
	let handler = handlers.get(key)
	if (handler === undefined) {
		// Agent options, not agents: the handler builds them on its first request, so neither
		// node:https (TLS) nor a socket pool is set up during cold start.
		const agentOptions = { keepAlive: true, maxSockets: options.maxSockets }
		handler = new NodeHttpHandler({
			httpAgent: agentOptions,
			httpsAgent: agentOptions,
			connectionTimeout: options.connectionTimeout,
			requestTimeout: options.requestTimeout,
			// The request timeout ends when the response's headers arrive: a streamed body (S3
			// GetObject's) that then stalls would be waited on for ever, and the invocation with it.
			// The same limit, as time without a byte, makes it fail instead.
			socketTimeout: options.requestTimeout,
			socketAcquisitionWarningTimeout: socketWarningMs(options),
			throwOnRequestTimeout: true,
		})
		handlers.set(key, handler)
	}
	return handler
}

export const clearHttpHandlers = (): void => {
	handlers.clear()
}
