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
