/**
 * How a log line names a failure: an error's `name` when it is text, else the value's type.
 * Never a message or the value's own text, which may carry request data; and reading it never
 * throws (a `name` getter that throws, a BigInt name JSON cannot write), so logging a failure
 * cannot turn an answer into a 500, or a rejection into an unhandled one, which ends the Lambda
 * runtime.
 */
export const failureName = (error: unknown): string => {
	try {
		const name: unknown = error instanceof Error ? error.name : undefined
		if (typeof name === 'string') return name
	} catch {
		// Named by its type below.
	}
	return typeof error
}
