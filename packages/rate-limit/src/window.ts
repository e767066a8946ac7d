/** A fixed window, aligned to multiples of its length since the epoch. */
export interface Window {
	readonly start: number
	readonly end: number
	/** Whole seconds until `end`, at least 1: the `Retry-After` and `RateLimit-Reset` value. */
	readonly resetSec: number
}

/**
 * The window of a given length at any instant. The answer only changes once a second (when
 * `resetSec` ticks), so the last one is reused until then instead of being built per request.
 */
export const windowClock = (windowSec: number): ((now: number) => Window) => {
	const length = windowSec * 1000
	let current: Window = { start: 0, end: 0, resetSec: 0 }
	let validFrom = 0
	let validUntil = 0
	// Kept out of the closure below, which runs on every request and stays small enough for
	// V8 to inline into the middleware.
	const windowOf = (now: number) => {
		const start = Math.floor(now / length) * length
		const end = start + length
		const resetSec = Math.max(1, Math.ceil((end - now) / 1000))
		current = { start, end, resetSec }
		validFrom = Math.max(start, end - resetSec * 1000)
		validUntil = end - (resetSec - 1) * 1000
		return current
	}
	return (now) => (now >= validFrom && now < validUntil ? current : windowOf(now))
}
