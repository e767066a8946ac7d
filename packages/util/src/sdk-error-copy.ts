/**
 * A copy of an AWS SDK error without its raw HTTP exchange, for keeping as a `cause`.
 * `$response` is not enumerable, but `util.inspect` with `showHidden`, and loggers that walk
 * every property, print it, and its body's socket leads to the signed request: the session
 * token and the access key id. The SDK defines it so that it cannot be deleted; the copy keeps
 * everything else (class, name, message, stack, `$metadata`). Anything else comes back as it is.
 */
export const withoutRawExchange = (error: unknown): unknown => {
	if (typeof error !== 'object' || error === null || !Object.hasOwn(error, '$response'))
		return error
	const { $response: _, stack, ...kept } = Object.getOwnPropertyDescriptors(error)
	const copy: object = Object.create(Object.getPrototypeOf(error), kept)
	// V8's `stack` is an accessor that answers only for the error it was captured on.
	if (stack !== undefined)
		Object.defineProperty(copy, 'stack', {
			value: (error as { stack?: unknown }).stack,
			writable: true,
			configurable: true,
		})
	return copy
}
