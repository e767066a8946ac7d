import type { MiddlewareObj, Request } from '@middy/core'
import {
	annotate,
	failureName,
	isPromiseLike,
	isValidatedTenantContext,
	isValidTenantId,
	misconfigured,
	serviceUnavailable,
	type TenantContext,
	tooManyRequests,
	type WithTenant,
} from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { reporting, siblingBindsMore, withErrorHeaders } from './error-headers.js'
import { RateLimitExceededError, RateLimitStoreError } from './errors.js'
import { createExhaustedWindows } from './exhausted-windows.js'
import { createLimitResolver, isInvalidPlanError } from './limits.js'
import { type RateLimit, resolveOptions, type TenantRateLimitOptions } from './options.js'
import { createPlanViews, type PlanView } from './plan-view.js'
import { withHeaders } from './response-headers.js'
import type { ConsumeResult } from './store.js'
import { checkedStore } from './store-answer.js'
import { type Window, windowClock } from './window.js'

/** Window used to pace logging and `Retry-After` when a tenant's plan cannot be read. */
const fallbackWindowAt = windowClock(60)

/**
 * The longest `Retry-After` of a 503 for a store failure: the store may answer the very next
 * request, and a client honouring the header must not wait for a long window's end.
 */
const storeRetryAfterSec = 5

const ignore = (): undefined => undefined

/** A middy request carrying, from `before` to `after`, the headers one limiter reported. */
type RequestWithHeaders = Record<symbol, Record<string, string> | undefined>

/**
 * Per-tenant fixed-window rate limiting. Runs after tenant isolation and reads
 * `context.tenant.id`. Once this container has seen a tenant's window exhausted it answers
 * 429 for the rest of that window without calling the store, so a flood costs one store
 * write per container per window.
 */
export const tenantRateLimit = <TEvent = unknown, TResult = unknown>(
	options: TenantRateLimitOptions,
): MiddlewareObj<TEvent, TResult, Error, Context> => {
	const {
		store: givenStore,
		name,
		limits,
		onStoreError,
		limitsCacheTtlMs,
		limitsTimeoutMs,
		logger,
		tracer,
		now,
	} = resolveOptions(options)
	const store = checkedStore(givenStore)
	const exhausted = createExhaustedWindows()
	const viewOf = createPlanViews()
	// The window last logged in, per window length: plans of different lengths (and the fallback
	// window of a failed plan lookup) would otherwise take turns and log on every request.
	const storeErrorLoggedWindows = new Map<number, number>()
	let lastValidatedTenant: TenantContext | undefined
	// The headers travel on the middy request itself, under a key of this instance's own (so
	// stacked limits keep apart): overlapping requests (Lambda Managed Instances) each carry
	// theirs, and nothing outlives a request whose `after` never runs. `request.internal` would
	// do the same, but it is a dictionary-mode object whose insert and lookup cost a measurable
	// share of a warm request.
	const headersKey = Symbol('@tenantry/rate-limit headers')

	/**
	 * The id to count under. Checked here too, unless tenant isolation built the context: an id
	 * that cannot form a key would fail in the store and, with onStoreError 'allow', turn rate
	 * limiting off. Tenant isolation hands out one frozen context per tenant, so the last one
	 * found valid is remembered.
	 */
	const tenantIdOf = (tenant: Partial<TenantContext> | undefined): string =>
		tenant !== undefined && tenant === lastValidatedTenant
			? lastValidatedTenant.id
			: validatedTenantId(tenant)

	const validatedTenantId = (tenant: Partial<TenantContext> | undefined): string => {
		const validated = isValidatedTenantContext(tenant)
		const tenantId = tenant?.id
		if (typeof tenantId !== 'string' || (!validated && !isValidTenantId(tenantId))) {
			throw misconfigured(
				'@tenantry/rate-limit: context.tenant is missing or invalid; use tenantRateLimit after tenantIsolation',
			)
		}
		if (validated) lastValidatedTenant = tenant
		return tenantId
	}

	const reject = (
		tenantId: string,
		limit: RateLimit,
		view: PlanView,
		window: Window,
		checkedLocally: boolean,
	): never => {
		annotate(tracer, 'rate_limited', true)
		const fields = view.headers(0, window.resetSec)
		throw reporting(
			tooManyRequests(
				{ ...fields, 'Retry-After': String(window.resetSec) },
				new RateLimitExceededError(tenantId, limit.requests, window.start, checkedLocally),
			),
			fields,
		)
	}

	/**
	 * The warning line for a store failure. Nothing in it may change the answer: a logger that
	 * fails (an unbound method, say) or rejects (an async one), and a failure String() cannot
	 * format (a null-prototype object), would otherwise turn 'allow' or 'deny' into a 500, or
	 * into an unhandled rejection, which ends the Lambda runtime.
	 */
	const logStoreFailure = (error: unknown, tenantId: string): void => {
		try {
			const logged: unknown = logger(
				JSON.stringify({
					level: 'WARN',
					message: `rate limit store unavailable; ${onStoreError === 'allow' ? 'allowing' : 'denying'} requests until it recovers`,
					package: '@tenantry/rate-limit',
					tenant: tenantId,
					error: failureName(error),
				}),
			)
			if (isPromiseLike(logged)) Promise.resolve(logged).catch(ignore)
		} catch {
			// As above: the answer stands whatever the logger does.
		}
	}

	/** A store (or plan lookup) failure: log once per window, then allow or answer 503. */
	const storeFailed = (error: unknown, tenantId: string, window: Window): undefined => {
		const length = window.end - window.start
		if (storeErrorLoggedWindows.get(length) !== window.start) {
			storeErrorLoggedWindows.set(length, window.start)
			logStoreFailure(error, tenantId)
		}
		if (onStoreError === 'deny')
			throw serviceUnavailable(
				Math.min(window.resetSec, storeRetryAfterSec),
				new RateLimitStoreError(error),
			)
		return undefined
	}

	const record = (
		request: object,
		tenantId: string,
		limit: RateLimit,
		view: PlanView,
		window: Window,
		result: ConsumeResult,
	): undefined => {
		if (!result.allowed || result.count >= limit.requests)
			exhausted.mark(tenantId, window.start, limit)
		if (!result.allowed) reject(tenantId, limit, view, window, false)
		;(request as RequestWithHeaders)[headersKey] = view.headers(
			limit.requests - result.count,
			window.resetSec,
		)
		return undefined
	}

	// Apart from `check`, so that the closures it creates do not make every synchronous check
	// allocate a context for the variables they capture.
	const recordWhenConsumed = (
		consumed: PromiseLike<ConsumeResult>,
		request: object,
		tenantId: string,
		limit: RateLimit,
		view: PlanView,
		window: Window,
	): Promise<undefined> =>
		Promise.resolve(consumed).then(
			(result) => record(request, tenantId, limit, view, window, result),
			(error: unknown) => storeFailed(error, tenantId, window),
		)

	const check = (
		request: object,
		tenantId: string,
		limit: RateLimit,
		view: PlanView,
	): Promise<undefined> | undefined => {
		const window = view.windowAt(now())
		// A plan of zero requests (a suspended tenant) needs no counter.
		if (limit.requests === 0 || exhausted.has(tenantId, window.start, limit))
			reject(tenantId, limit, view, window, true)
		let consumed: ConsumeResult | PromiseLike<ConsumeResult>
		try {
			consumed = store.consume({
				tenantId,
				windowStart: window.start,
				windowEnd: window.end,
				limit: limit.requests,
				name,
			})
		} catch (error) {
			return storeFailed(error, tenantId, window)
		}
		if (!isPromiseLike(consumed)) return record(request, tenantId, limit, view, window, consumed)
		return recordWhenConsumed(consumed, request, tenantId, limit, view, window)
	}

	const tenantIdOfRequest = (request: Request<TEvent, TResult, Error, Context>) =>
		tenantIdOf((request.context as Partial<WithTenant>).tenant)

	// `before` is synchronous unless a plan lookup or the store is asynchronous: middy awaits
	// whatever it returns, and each avoided promise is a measurable share of a warm request.
	// Which one runs is decided here, so a fixed limit looks nothing up per request.
	const beforeWithLimit = (limit: RateLimit) => {
		const view = viewOf(limit)
		const before = (
			request: Request<TEvent, TResult, Error, Context>,
		): Promise<undefined> | undefined => check(request, tenantIdOfRequest(request), limit, view)
		return before
	}

	const beforeWithPlans = (limitFor: (tenantId: string) => RateLimit | Promise<RateLimit>) => {
		const before = (
			request: Request<TEvent, TResult, Error, Context>,
		): Promise<undefined> | undefined => {
			const tenantId = tenantIdOfRequest(request)
			let limit: RateLimit | PromiseLike<RateLimit>
			try {
				limit = limitFor(tenantId)
			} catch (error) {
				return storeFailed(error, tenantId, fallbackWindowAt(now()))
			}
			if (!isPromiseLike(limit)) return check(request, tenantId, limit, viewOf(limit))
			return checkWhenPlanned(limit, request, tenantId)
		}
		return before
	}

	// Apart from `before`, for the same reason as `recordWhenConsumed`.
	const checkWhenPlanned = (
		limit: PromiseLike<RateLimit>,
		request: object,
		tenantId: string,
	): Promise<undefined> =>
		Promise.resolve(limit).then(
			(resolved) => check(request, tenantId, resolved, viewOf(resolved)),
			(error: unknown) => {
				// An invalid plan is a configuration error, never a reason to stop limiting.
				if (isInvalidPlanError(error)) throw error
				return storeFailed(error, tenantId, fallbackWindowAt(now()))
			},
		)

	const before =
		typeof limits === 'function'
			? beforeWithPlans(createLimitResolver(limits, limitsCacheTtlMs, limitsTimeoutMs, now))
			: beforeWithLimit(limits)

	const after = (request: Request<TEvent, TResult, Error, Context>): void => {
		const headers = (request as object as RequestWithHeaders)[headersKey]
		if (headers !== undefined)
			request.response = withHeaders(request, request.response, headers) as TResult
	}

	// A counted request that then failed (a 404 from the handler, a 403 from a later
	// middleware) reports its quota too: its error carries the fields into the error response.
	// An inner onError may have answered already (a 202 "queued"): then that answer carries them.
	const onError = (request: Request<TEvent, TResult, Error, Context>): void => {
		const headers = (request as object as RequestWithHeaders)[headersKey]
		if (headers === undefined) return
		if (request.response !== undefined) {
			// Built from a stacked sibling's 429 (or its closer fields): they stay.
			if (!siblingBindsMore(request.error, headers))
				request.response = withHeaders(request, request.response, headers) as TResult
		} else request.error = withErrorHeaders(request.error, headers) as Error
	}

	return { name: 'tenantRateLimit', before, after, onError }
}
