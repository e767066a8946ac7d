/**
 * The longest delay a Node timer (and so `AbortSignal.timeout`) holds: a longer one fires after
 * 1 ms, or throws, and every wait would fail.
 */
export const longestTimerMs = 2_147_483_647

/** What `pending` settles to, or a rejection with `timedOut()` once `ms` passed without it. */
export const settledWithin = <T>(
	pending: PromiseLike<T>,
	ms: number,
	timedOut: () => Error,
): Promise<T> =>
	new Promise<T>((resolve, reject) => {
		const timer = setTimeout(() => reject(timedOut()), ms)
		pending.then(
			(value) => {
				clearTimeout(timer)
				resolve(value)
			},
			(error: unknown) => {
				clearTimeout(timer)
				reject(error)
			},
		)
	})
