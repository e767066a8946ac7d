import type { AsyncLocalStorage } from 'node:async_hooks'

/**
 * The request being served, for code that outlives one request (a cached client's request
 * binding, guard and credential provider): its tenant, and what reports and STS session names
 * tell about it.
 */
export interface RequestFacts {
	/**
	 * The outermost middy request of the invocation being served, set by `awsClientsPlugin()`
	 * (`undefined` without it, and between requests).
	 */
	readonly scope: { readonly context: unknown } | undefined
	/** The middy request these facts were entered for; `undefined` between requests. */
	readonly request: object | undefined
	/** `undefined` while no tenant was established for the request. */
	readonly tenantId: string | undefined
	readonly requestId: string | undefined
	readonly path: string | undefined
	readonly method: string | undefined
}

/** Where the facts of the request being served are kept: one place per process. */
export interface RequestFactsSlot {
	enter(
		request: object | undefined,
		tenantId: string | undefined,
		requestId: string | undefined,
		path: string | undefined,
		method: string | undefined,
	): void
	current(): RequestFacts
}

const unknownRequest: RequestFacts = Object.freeze({
	scope: undefined,
	request: undefined,
	tenantId: undefined,
	requestId: undefined,
	path: undefined,
	method: undefined,
})

// One request at a time per sandbox, Lambda's usual model: one record, rewritten per request.
const record: { -readonly [K in keyof RequestFacts]: RequestFacts[K] } = { ...unknownRequest }

// Lambda Managed Instances run many invocations at once in one thread: the facts then follow
// each request's async context, at about 150–200 ns per request for entering it. Created by
// the first awsClients that asks for it; from then on every instance uses it, so that clients
// of all middy handlers in the process check against the same request.
let perAsyncContext: AsyncLocalStorage<RequestFacts> | undefined

/**
 * The process's record of the request being served. Every awsClients instance (every middy
 * handler, e.g. a router's routes) shares it: a client kept in one handler must see the
 * requests another serves.
 */
export const requestFacts: RequestFactsSlot = {
	enter(request, tenantId, requestId, path, method) {
		if (perAsyncContext !== undefined) {
			const { scope } = perAsyncContext.getStore() ?? unknownRequest
			perAsyncContext.enterWith({ scope, request, tenantId, requestId, path, method })
			return
		}
		record.request = request
		record.tenantId = tenantId
		record.requestId = requestId
		record.path = path
		record.method = method
	},
	current: () =>
		perAsyncContext === undefined ? record : (perAsyncContext.getStore() ?? unknownRequest),
}

/** Tracks requests per async context from now on, for every awsClients in the process. */
export const trackRequestsPerAsyncContext = (): void => {
	if (perAsyncContext !== undefined) return
	const { AsyncLocalStorage } = process.getBuiltinModule('node:async_hooks')
	perAsyncContext = new AsyncLocalStorage<RequestFacts>()
}

const enterScope = (scope: RequestFacts['scope']): void => {
	if (perAsyncContext !== undefined) {
		perAsyncContext.enterWith(scope === undefined ? unknownRequest : { ...unknownRequest, scope })
		return
	}
	Object.assign(record, unknownRequest)
	record.scope = scope
}

/**
 * A middy request starts: no tenant until awsClients enters it. A middy handler called inside
 * another's request with the same Lambda context (a router's route) is part of that request
 * and changes nothing; any other request, including one that finds an earlier request's facts
 * in its async context, starts afresh.
 */
export const openRequestScope = (request: { readonly context: unknown }): void => {
	const open = requestFacts.current().scope
	if (open !== undefined && open.context === request.context) return
	enterScope(request)
}

/** The request that opened the scope has ended: no request, no tenant, until the next. */
export const closeRequestScope = (request: { readonly context: unknown }): void => {
	if (requestFacts.current().scope === request) enterScope(undefined)
}
