/**
 * The part of a `DynamoDBClient` the DynamoDB-backed stores use. Structural: a client from
 * another copy of the AWS SDK (a layer's beside the bundle's, two versions under pnpm) is
 * another class to TypeScript, and the declarations never name `@aws-sdk/client-dynamodb`.
 */
export interface DynamoDBClientLike {
	send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>
}
