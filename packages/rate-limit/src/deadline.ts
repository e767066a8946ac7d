/**
 * The longest delay a Node timer (and so `AbortSignal.timeout`) holds: a longer one fires after
 * 1 ms, or throws, and every wait would fail.
 */
export const longestTimerMs = 2_147_483_647

/**
 * What `pending` settles to, or a rejection with `timedOut()` once `ms` passed without it. A
 * value that arrives after that goes to `late`, a rejection after it to `lateFailure`.
 */
export const settledWithin = <T>(
	pending: PromiseLike<T>,
	ms: number,
	timedOut: () => Error,
	late?: (value: T) => void,
	lateFailure?: (error: unknown) => void,
): Promise<T> =>
	new Promise<T>((resolve, reject) => {
		let expired = false
		const timer = setTimeout(() => {
			expired = true
			reject(timedOut())
		}, ms)
		pending.then(
			(value) => {
				clearTimeout(timer)
				if (expired) late?.(value)
				else resolve(value)
			},
			(error: unknown) => {
				clearTimeout(timer)
				if (expired) lateFailure?.(error)
				else reject(error)
			},
		)
	})
