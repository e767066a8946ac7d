/**
 * The request being served, for code that outlives one request (a cached client's request
 * binding, guard and credential provider): its tenant, and what reports and STS session names
 * tell about it.
 */
export interface RequestFacts {
	/** The middy request these facts were entered for. */
	readonly request: object | undefined
	/** `undefined` while no tenant was established for the request. */
	readonly tenantId: string | undefined
	readonly requestId: string | undefined
	readonly path: string | undefined
	readonly method: string | undefined
}

/** Where the facts of the request being served are kept. */
export interface RequestFactsSlot {
	enter(
		request: object,
		tenantId: string | undefined,
		requestId: string | undefined,
		path: string | undefined,
		method: string | undefined,
	): void
	current(): RequestFacts
}

const unknownRequest: RequestFacts = Object.freeze({
	request: undefined,
	tenantId: undefined,
	requestId: undefined,
	path: undefined,
	method: undefined,
})

/** One request at a time per sandbox, Lambda's usual model: one record, rewritten per request. */
const sequentialSlot = (): RequestFactsSlot => {
	const facts: { -readonly [K in keyof RequestFacts]: RequestFacts[K] } = { ...unknownRequest }
	return {
		enter(request, tenantId, requestId, path, method) {
			facts.request = request
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
		enter(request, tenantId, requestId, path, method) {
			facts.enterWith({ request, tenantId, requestId, path, method })
		},
		current: () => facts.getStore() ?? unknownRequest,
	}
}

// One slot per kind for the whole process, shared by every awsClients instance: a client kept
// from one middy handler (a route) must see the requests another handler's instance serves.
let sequential: RequestFactsSlot | undefined
let concurrent: RequestFactsSlot | undefined

export const requestFactsSlot = (concurrentInvocations: boolean): RequestFactsSlot => {
	if (concurrentInvocations) {
		concurrent ??= concurrentSlot()
		return concurrent
	}
	sequential ??= sequentialSlot()
	return sequential
}
