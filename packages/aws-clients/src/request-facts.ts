/**
 * The request being served, for code that outlives one request (a cached client's guard,
 * request binding and credential provider): its tenant, and what reports and STS session
 * names tell about it.
 */
export interface RequestFacts {
	/** `undefined` while no tenant was established for the request. */
	readonly tenantId: string | undefined
	readonly requestId: string | undefined
	readonly path: string | undefined
	readonly method: string | undefined
}

/** Where a middleware instance keeps the facts of the request it serves. */
export interface RequestFactsSlot {
	enter(
		tenantId: string | undefined,
		requestId: string | undefined,
		path: string | undefined,
		method: string | undefined,
	): void
	current(): RequestFacts
}

const unknownRequest: RequestFacts = Object.freeze({
	tenantId: undefined,
	requestId: undefined,
	path: undefined,
	method: undefined,
})

/** One request at a time per sandbox, Lambda's usual model: one record, rewritten per request. */
const sequentialSlot = (): RequestFactsSlot => {
	const facts = {
		tenantId: undefined,
		requestId: undefined,
		path: undefined,
		method: undefined,
	} as {
		-readonly [K in keyof RequestFacts]: RequestFacts[K]
	}
	return {
		enter(tenantId, requestId, path, method) {
			facts.tenantId = tenantId
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
		enter(tenantId, requestId, path, method) {
			facts.enterWith({ tenantId, requestId, path, method })
		},
		current: () => facts.getStore() ?? unknownRequest,
	}
}

export const requestFactsSlot = (concurrentInvocations: boolean): RequestFactsSlot =>
	concurrentInvocations ? concurrentSlot() : sequentialSlot()
