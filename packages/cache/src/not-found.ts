/**
 * Thrown by a loader to say "this key does not exist". Unlike other load errors it is a
 * result: the cache remembers it for `negativeTtlMs`, so a flood of requests for unknown
 * keys costs one fetch per key and window, and `get` rejects with it until then.
 */
export class NotFoundError extends Error {
	constructor(message = 'Not found', options?: { cause?: unknown }) {
		super(message, options)
		this.name = 'NotFoundError'
	}
}

export const isNotFound = (error: unknown): error is NotFoundError => error instanceof NotFoundError
