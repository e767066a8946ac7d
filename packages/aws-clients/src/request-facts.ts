/**
 * The request a middleware instance is serving, for reports and STS session names made
 * from code that outlives one request (a cached client's guard or credential provider).
 * A Lambda sandbox serves one request at a time, so "the current one" is well defined.
 */
export interface RequestFacts {
	requestId: string | undefined
	path: string | undefined
	method: string | undefined
}
