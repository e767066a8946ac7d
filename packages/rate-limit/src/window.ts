/** A fixed window, aligned to multiples of its length since the epoch. */
export interface Window {
	start: number
	end: number
	/** Whole seconds until `end`, at least 1: the `Retry-After` and `RateLimit-Reset` value. */
	resetSec: number
}

export const windowAt = (now: number, windowSec: number): Window => {
	const length = windowSec * 1000
	const start = Math.floor(now / length) * length
	const end = start + length
	return { start, end, resetSec: Math.max(1, Math.ceil((end - now) / 1000)) }
}
