/**
 * The request being served, for reports and STS session names made from code that outlives
 * one request (a cached client's guard or credential provider).
 */
export interface RequestFacts {
	readonly requestId: string | undefined
	readonly path: string | undefined
	readonly method: string | undefined
}

/** Where a middleware instance keeps the facts of the request it serves. */
export interface RequestFactsSlot {
	enter(requestId: string | undefined, path: string | undefined, method: string | undefined): void
	current(): RequestFacts
}

const unknownRequest: RequestFacts = Object.freeze({
	requestId: undefined,
	path: undefined,
	method: undefined,
})

/** One request at a time per sandbox, Lambda's usual model: one record, rewritten per request. */
const sequentialSlot = (): RequestFactsSlot => {
	const facts = { requestId: undefined, path: undefined, method: undefined } as {
		-readonly [K in keyof RequestFacts]: RequestFacts[K]
	}
	return {
		enter(requestId, path, method) {
			facts.requestId = requestId
			facts.path = path
			facts.method = method
		},
		current: () => facts,
	}
}

/**
 * Lambda Managed Instances run many invocations at once in one thread: the facts then follow
 * each request's async context, at about 150–200 ns per request for entering it.
 */
const concurrentSlot = (): RequestFactsSlot => {
	const { AsyncLocalStorage } = process.getBuiltinModule('node:async_hooks')
	const facts = new AsyncLocalStorage<RequestFacts>()
	return {
		enter(requestId, path, method) {
			facts.enterWith({ requestId, path, method })
		},
		current: () => facts.getStore() ?? unknownRequest,
	}
}

export const requestFactsSlot = (concurrentInvocations: boolean): RequestFactsSlot =>
	concurrentInvocations ? concurrentSlot() : sequentialSlot()
