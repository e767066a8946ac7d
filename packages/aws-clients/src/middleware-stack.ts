type Next = (args: { input: unknown }) => Promise<unknown>

/** The shape of an SDK v3 middleware, as far as tenantry's own ones use it. */
export type SendMiddleware = (next: Next, context: { commandName?: string }) => Next

interface StackLike {
	add(
		middleware: SendMiddleware,
		options: {
			step: 'initialize' | 'build'
			priority?: 'low'
			name: string
			override: boolean
			tags: string[]
		},
	): void
}

/**
 * Adds `middleware` to run before the client resolves credentials (the `serialize` step) and
 * after the application's own `initialize` middlewares (which may still complete the input):
 * last in `initialize`.
 */
export const addBeforeCredentials = (
	client: object,
	name: string,
	middleware: SendMiddleware,
): void => {
	;(client as { middlewareStack: StackLike }).middlewareStack.add(middleware, {
		step: 'initialize',
		priority: 'low',
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
