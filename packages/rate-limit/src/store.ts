/** One increment attempt for a tenant's fixed window. */
export interface ConsumeRequest {
	tenantId: string
	/** Window start, epoch milliseconds. */
	windowStart: number
	/** Window end (exclusive), epoch milliseconds. */
	windowEnd: number
	/** Requests allowed in the window. */
	limit: number
	/**
	 * The limit's `name`, if it has one: limits of one window length count apart only under
	 * different names, so a store keys its counters by it too.
	 */
	name?: string
}

export interface ConsumeResult {
	allowed: boolean
	/** Requests counted in the window, this one included when allowed. */
	count: number
}

/**
 * Where counters live. It must count atomically across every container that shares it:
 * `consume` increments only while the count is below the limit. An in-memory store may
 * answer synchronously, which keeps the middleware's hot path free of promises.
 */
export interface RateLimitStore {
	consume(request: ConsumeRequest): ConsumeResult | PromiseLike<ConsumeResult>
}
