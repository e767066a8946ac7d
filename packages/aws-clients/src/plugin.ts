import { leaveRequest } from './request-facts.js'

/** The hooks of `awsClientsPlugin()`, a middy plugin object. */
export interface AwsClientsPlugin {
	requestStart: () => void
	requestEnd: () => void
}

/**
 * A middy plugin (`middy(handler, awsClientsPlugin())`) that tells tenant clients where each
 * request starts and ends. Without it a request begins for them when `awsClients` runs (its
 * `before`, or its `onError` when the request failed earlier), so code that runs earlier in a
 * request (middlewares before it, or registered after it for their `onError`) still sees the
 * previous request's tenant. With it, that code, and code running between requests, sees no
 * request: a tenant client kept from an earlier request is refused there too.
 */
export const awsClientsPlugin = (): AwsClientsPlugin => ({
	requestStart: leaveRequest,
	requestEnd: leaveRequest,
})
