const { AsyncLocalStorage } = process.getBuiltinModule('node:async_hooks')

/**
 * The request being served, for reports and STS session names made from code that outlives
 * one request (a cached client's guard or credential provider).
 */
export interface RequestFacts {
	readonly requestId: string | undefined
	readonly path: string | undefined
	readonly method: string | undefined
}

const unknownRequest: RequestFacts = Object.freeze({
	requestId: undefined,
	path: undefined,
	method: undefined,
})

// Per async context, not per middleware instance: Lambda Managed Instances run many
// invocations concurrently in one Node.js thread, and a report must name its own request.
const currentRequest = new AsyncLocalStorage<RequestFacts>()

/** Makes `facts` the current request's for the rest of this invocation and what it awaits. */
export const enterRequest = (facts: RequestFacts): void => currentRequest.enterWith(facts)

export const currentRequestFacts = (): RequestFacts => currentRequest.getStore() ?? unknownRequest
