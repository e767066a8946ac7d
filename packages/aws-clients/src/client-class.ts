/**
 * An AWS SDK v3 client class, e.g. `DynamoDBClient` (checked at factory time: its instances
 * `send`). The configuration type is read from its first parameter.
 */
export type ClientClass = new (...args: never) => object

/** The configuration a client class accepts, e.g. `DynamoDBClientConfig`. */
export type ClientConfigOf<C> = C extends new (
	...args: infer A
) => unknown
	? NonNullable<A[0]>
	: never

/** Client classes by the name they get on `context.clients`. */
export type ClientClasses = Record<string, ClientClass>

/** `{ dynamodb: typeof DynamoDBClient }` → `{ readonly dynamodb: DynamoDBClient }` */
export type ClientsOf<C extends ClientClasses> = { readonly [K in keyof C]: InstanceType<C[K]> }

/** The configuration every client gets; `perClient` adds to it per client. */
export interface SharedClientConfig {
	/** Default: `AWS_REGION`. */
	region?: string | undefined
	endpoint?: string | undefined
	maxAttempts?: number | undefined
	[option: string]: unknown
}

/** Calls a client class with one configuration object, whatever its declared parameters. */
export const construct = <C extends ClientClass>(
	ClientClass: C,
	config: Record<string, unknown>,
): InstanceType<C> =>
	new (ClientClass as unknown as new (config: Record<string, unknown>) => InstanceType<C>)(config)
