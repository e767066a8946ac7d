import { decimalText } from './decimal-text.js'
import type { RateLimit } from './options.js'

/**
 * Builds the IETF draft `RateLimit-*` fields (draft-ietf-httpapi-ratelimit-headers) for one
 * plan: limit, remaining, seconds to reset, and the policy `<limit>;w=<window seconds>`.
 * The parts that depend only on the plan are formatted once.
 */
export const rateLimitHeaders = (
	limit: RateLimit,
): ((remaining: number, resetSec: number) => Record<string, string>) => {
	const limitText = String(limit.requests)
	const policy = `${limit.requests};w=${limit.windowSec}`
	// The reset changes once a second, so its text is reused between requests.
	let lastResetSec = -1
	let resetText = ''
	return (remaining, resetSec) => {
		if (resetSec !== lastResetSec) {
			lastResetSec = resetSec
			resetText = String(resetSec)
		}
		return {
			'RateLimit-Limit': limitText,
			'RateLimit-Remaining': decimalText(Math.max(0, remaining)),
			'RateLimit-Reset': resetText,
			'RateLimit-Policy': policy,
		}
	}
}
