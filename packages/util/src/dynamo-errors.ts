/**
 * Whether DynamoDB refused a write for its condition. Told by name, not `instanceof`: with two
 * copies of the SDK in one function (a layer and a bundle), or an SDK older than the
 * cross-copy `Symbol.hasInstance`, the error need not be an instance of the class imported here,
 * and taking a refusal for an outage would let a refused write through.
 */
export const isConditionalCheckFailed = (error: unknown): boolean =>
	error instanceof Error && error.name === 'ConditionalCheckFailedException'
