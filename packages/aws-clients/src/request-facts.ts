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

type Facts = { -readonly [K in keyof RequestFacts]: RequestFacts[K] } & {
	/** The request this one was called inside of (a router's route inside the router's request). */
	parent: Facts | undefined
	/** The request has ended; the facts of `parent`, if any, apply again. */
	ended: boolean
}

const newFacts = (scope: RequestFacts['scope'], parent: Facts | undefined): Facts => ({
	scope,
	request: undefined,
	tenantId: undefined,
	requestId: undefined,
	path: undefined,
	method: undefined,
	parent,
	ended: false,
})

/** The facts in force: an ended request gives way to the request it was called inside of. */
const resolve = (facts: Facts | undefined): Facts | undefined => {
	let open = facts
	while (open?.ended) open = open.parent
	return open
}

// One request at a time per sandbox, Lambda's usual model: one record, rewritten per request.
let sequential: Facts = newFacts(undefined, undefined)

// Lambda Managed Instances run many invocations at once in one thread: the facts then follow
// each request's async context, at about 150–200 ns per request for entering it. Created by
// the first awsClients that asks for it; from then on every instance uses it, so that clients
// of all middy handlers in the process check against the same request. With
// `awsClientsPlugin()` each invocation gets one record when it starts, which awsClients fills
// in and the end of the invocation ends: everything that saw the record, whenever it runs
// (the response stream, the code that invoked the handler, a timer), sees the same request.
let perAsyncContext: AsyncLocalStorage<Facts | undefined> | undefined

const currentFacts = (): Facts | undefined =>
	resolve(perAsyncContext === undefined ? sequential : perAsyncContext.getStore())

/**
 * Whether AsyncLocalStorage keeps its stores in AsyncContextFrame (Node 24, or 22 with the
 * flag): every promise then carries the context it was made in. Before it (Node 22), stores
 * follow async_hooks resources, and promises made before the first storage existed have none.
 */
export const usesAsyncContextFrame = (): boolean => {
	const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
	if (flags.includes('--no-async-context-frame')) return false
	if (flags.includes('--experimental-async-context-frame')) return true
	return Number(process.versions.node.split('.')[0]) >= 24
}

/**
 * Whether a store entered here would be shared, once tracking began with requests in flight:
 * with async_hooks storage, code continuing a promise made before that runs on no resource of
 * its own (execution id 0), so what it enters is the top level's, read by every such
 * continuation, the in-flight requests' too. (Promises made since carry their own store.)
 */
let sharesTopLevel: (() => boolean) | undefined

/** Puts `facts` in force for this async context, or for the process. */
const place = (facts: Facts): void => {
	if (perAsyncContext === undefined) sequential = facts
	// Such a request gets no record (its tenant clients are refused: fails closed) rather than
	// one every request in flight would read as its own.
	else perAsyncContext.enterWith(sharesTopLevel?.() ? undefined : facts)
}

/**
 * The process's record of the request being served. Every awsClients instance (every middy
 * handler, e.g. a router's routes) shares it: a client kept in one handler must see the
 * requests another serves.
 */
export const requestFacts: RequestFactsSlot = {
	enter(request, tenantId, requestId, path, method) {
		let facts = currentFacts()
		// Per async context, a request without the plugin's record in force gets one: the record
		// the plugin opened for it but could not place (the request that switched tracking), else
		// one of its own.
		if (facts === undefined || (perAsyncContext !== undefined && facts.scope === undefined)) {
			const unplaced = (request as ScopedRequest | undefined)?.[opened]
			facts = unplaced !== undefined && !unplaced.ended ? unplaced : newFacts(undefined, undefined)
			place(facts)
		}
		facts.request = request
		facts.tenantId = tenantId
		facts.requestId = requestId
		facts.path = path
		facts.method = method
	},
	current: () => currentFacts() ?? unknownRequest,
}

/**
 * Tracks requests per async context from now on, for every awsClients in the process. The
 * request in flight, if any, keeps its facts.
 */
export const trackRequestsPerAsyncContext = (): void => {
	if (perAsyncContext !== undefined) return
	const { AsyncLocalStorage } = process.getBuiltinModule('node:async_hooks')
	perAsyncContext = new AsyncLocalStorage<Facts | undefined>()
	const inFlight = resolve(sequential)
	if (inFlight?.request !== undefined || inFlight?.scope !== undefined)
		perAsyncContext.enterWith(inFlight)
}

const awsRequestIdOf = (context: unknown): unknown =>
	typeof context === 'object' && context !== null
		? (context as { awsRequestId?: unknown }).awsRequestId
		: undefined

/** Whether two Lambda contexts belong to one invocation: the same object, or the same id. */
const sameInvocation = (a: unknown, b: unknown): boolean => {
	if (a === b) return true
	const id = awsRequestIdOf(a)
	return typeof id === 'string' && id === awsRequestIdOf(b)
}

/** The record a request opened, kept on the middy request so its end finds it in any order. */
const opened = Symbol('request facts')
type ScopedRequest = { readonly context: unknown; [opened]?: Facts }

/**
 * A middy request starts: no tenant until awsClients enters it. A middy handler called inside
 * a request of the same invocation (a router's route) gets its own facts and hands the
 * caller's back when it ends. Any other request, including one that finds an earlier request's
 * facts in its async context, starts afresh.
 */
export const openRequestScope = (request: { readonly context: unknown }): void => {
	const open = currentFacts()
	// The caller opened its request with the plugin (scope) or only through awsClients (request).
	const callerContext = (open?.scope ?? (open?.request as { context?: unknown } | undefined))
		?.context
	const caller =
		callerContext !== undefined && sameInvocation(callerContext, request.context) ? open : undefined
	// Another invocation's request is still open: invocations overlap after all. One record would
	// name only this one, and a client kept from an earlier request of its tenant would then serve
	// the request still running. From now on requests are tracked per async context; a running
	// one already past awsClients, whose context holds no record, is refused every tenant client.
	const switching =
		perAsyncContext === undefined && caller === undefined && open?.scope !== undefined
	if (switching) {
		trackRequestsPerAsyncContext()
		// The requests in flight continue promises made before tracking began.
		if (!usesAsyncContextFrame()) {
			const { executionAsyncId } = process.getBuiltinModule('node:async_hooks')
			sharesTopLevel = () => executionAsyncId() === 0
		}
	}
	const facts = newFacts(request, caller)
	;(request as ScopedRequest)[opened] = facts
	if (!switching) {
		place(facts)
		return
	}
	// This request's record is not entered here. Promises made before tracking began carry no
	// store; on Node's async_hooks storage (Node 22, before AsyncContextFrame) their continuations
	// read the store of the resource this runs in, which the requests in flight may share (the
	// top level): entered here, the record would name this request inside theirs. Nothing is in
	// force here; awsClients enters the record from this request's own later context.
	perAsyncContext?.enterWith(undefined)
}

/**
 * A request has ended, whichever ends first of requests that overlap: its facts end for every
 * async context that holds them, and those of the request it was called inside of, if any,
 * apply again.
 */
export const closeRequestScope = (request: { readonly context: unknown }): void => {
	const facts = (request as ScopedRequest)[opened]
	if (facts === undefined || facts.ended) return
	Object.assign(facts, unknownRequest, { ended: true })
	if (perAsyncContext === undefined)
		sequential = resolve(sequential) ?? newFacts(undefined, undefined)
}
