/**
 * Whether every number in a parsed JSON value survived parsing exactly: JSON.parse turns `1e400`
 * into Infinity (written back out as `null`) and rounds integers beyond 2^53 (a 64-bit id sent as
 * a number), so storing the value would store other numbers than the ones the client sent.
 */
export const hasOnlyExactNumbers = (value: unknown): boolean => {
	// Iterative: JSON.parse accepts nesting far deeper than a recursive walk's stack.
	const pending: unknown[] = [value]
	while (pending.length > 0) {
		const next = pending.pop()
		if (typeof next === 'number') {
			if (!Number.isFinite(next) || (Number.isInteger(next) && !Number.isSafeInteger(next)))
				return false
		} else if (typeof next === 'object' && next !== null) {
			for (const child of Object.values(next)) pending.push(child)
		}
	}
	return true
}
