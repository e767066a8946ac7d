import { closeRequestScope, openRequestScope } from './request-facts.js'

/** The hooks of `awsClientsPlugin()`, a middy plugin object. */
export interface AwsClientsPlugin {
	requestStart: (request: { readonly context: unknown }) => void
	requestEnd: (request: { readonly context: unknown }) => void
}

/**
 * A middy plugin (`middy(handler, awsClientsPlugin())`) that tells tenant clients where each
 * request starts and ends. Without it a request begins for them when `awsClients` runs (its
 * `before`, or its `onError` when the request failed earlier), so code that runs earlier in a
 * request (middlewares before it, or registered after it for their `onError`) still sees the
 * previous request's tenant. With it, that code, and code running between requests, sees no
 * request: a tenant client kept from an earlier request is refused there too. A middy handler
 * called inside a request of the same invocation (a router's route) gets a request of its own
 * and hands the caller's back when it returns.
 */
export const awsClientsPlugin = (): AwsClientsPlugin => ({
	requestStart: openRequestScope,
	requestEnd: closeRequestScope,
})
