/** `request` is the HTTP request the `serialize` step made, from the `build` step on. */
type Next = (args: { input: unknown; request?: unknown }) => Promise<unknown>

/** The shape of an SDK v3 middleware, as far as tenantry's own ones use it. */
export type SendMiddleware = (next: Next, context: { commandName?: string }) => Next

interface StackLike {
	add(
		middleware: SendMiddleware,
		options: { step: 'initialize' | 'build'; name: string; override: boolean; tags: string[] },
	): void
	addRelativeTo(
		middleware: SendMiddleware,
		options: {
			relation: 'before'
			toMiddleware: string
			name: string
			override: boolean
			tags: string[]
		},
	): void
}

/**
 * Adds `middleware` to run before the client resolves credentials and after the application's
 * middlewares that may still complete the input (`initialize` of any priority, `serialize` of
 * high priority): right before the serializer's own group. `endpointV2Middleware` is added
 * relative to the serializer per command, so after this client-level entry, and the DynamoDB
 * client's `httpAuthSchemeMiddleware`, which resolves the identity, goes right before it. Every
 * SDK v3 command has a `serializerMiddleware`.
 */
export const addBeforeCredentials = (
	client: object,
	name: string,
	middleware: SendMiddleware,
): void => {
	;(client as { middlewareStack: StackLike }).middlewareStack.addRelativeTo(middleware, {
		relation: 'before',
		toMiddleware: 'serializerMiddleware',
		name,
		override: true,
		tags: ['TENANTRY'],
	})
}

/** Adds `middleware` to a client's stack; adding it again under `name` replaces it. */
export const addToStack = (
	client: object,
	step: 'initialize' | 'build',
	name: string,
	middleware: SendMiddleware,
): void => {
	;(client as { middlewareStack: StackLike }).middlewareStack.add(middleware, {
		step,
		name,
		override: true,
		tags: ['TENANTRY'],
	})
}

/** The operation name of a command, e.g. `GetItemCommand` → `GetItem`. */
export const operationOf = (commandName: unknown): string =>
	typeof commandName === 'string' ? commandName.replace(/Command$/, '') : ''
