/**
 * A copy of an AWS SDK error without its raw HTTP exchange, for keeping as a `cause`.
 * `$response` is not enumerable, but `util.inspect` with `showHidden`, and loggers that walk
 * every property, print it, and its body's socket leads to the signed request: the session
 * token and the access key id. The SDK defines it so that it cannot be deleted; the copy keeps
 * everything else (class, name, message, stack, `$metadata`). Anything else comes back as it is.
 * An answer the SDK could not parse also leaves its whole body text, as hidden, in
 * `$responseBodyText`, which the copy drops too: for a cut-short AssumeRole, the credentials.
 */
export const withoutRawExchange = (error: unknown): unknown => {
	if (
		typeof error !== 'object' ||
		error === null ||
		!(Object.hasOwn(error, '$response') || Object.hasOwn(error, '$responseBodyText'))
	)
		return error
	const {
		$response: _response,
		$responseBodyText: _bodyText,
		stack,
		...kept
	} = Object.getOwnPropertyDescriptors(error)
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
