import { rateLimitHeaders } from './headers.js'
import type { RateLimit } from './options.js'
import { type Window, windowClock } from './window.js'

/** What the middleware derives from one plan, built once per plan object. */
export interface PlanView {
	windowAt: (now: number) => Window
	headers: (remaining: number, resetSec: number) => Record<string, string>
}

/**
 * Per-plan windows and header formatting, kept as long as the plan object lives: a static
 * limit is one object for the container's life, a cached per-tenant plan one per lookup.
 */
export const createPlanViews = (): ((limit: RateLimit) => PlanView) => {
	const views = new WeakMap<RateLimit, PlanView>()
	// A run of requests from one tenant asks for the same plan again and again: answering that
	// from the last lookup skips the weak map. (A fixed limit looks its view up once, when the
	// middleware is built.)
	let lastPlan: RateLimit | undefined
	let lastView: PlanView | undefined
	return (limit) => {
		if (limit === lastPlan && lastView !== undefined) return lastView
		let view = views.get(limit)
		if (view === undefined) {
			view = { windowAt: windowClock(limit.windowSec), headers: rateLimitHeaders(limit) }
			views.set(limit, view)
		}
		lastPlan = limit
		lastView = view
		return view
	}
}
