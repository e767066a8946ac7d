import { localCredentials } from './credentials.js'

/** Where a client built for a local endpoint points, and with which credentials. */
export interface LocalTarget {
	region: string
	endpoint: string
	credentials: typeof localCredentials
}

export interface LocalClients<C, Config> {
	/** A client for the endpoint; extra config (e.g. `maxAttempts`) is merged in. */
	client(config?: Config): C
	/** Destroys every client handed out, so stopping the endpoint leaves no sockets open. */
	destroyAll(): void
}

/** Builds SDK clients pointed at a local endpoint and remembers them for `stop()`. */
export const localClients = <C extends { destroy(): void }, Config extends object>(
	build: (config: LocalTarget & Config) => C,
	target: Omit<LocalTarget, 'credentials'>,
): LocalClients<C, Config> => {
	const created: C[] = []
	return {
		client(config = {} as Config) {
			const client = build({ ...target, credentials: localCredentials, ...config })
			created.push(client)
			return client
		},
		destroyAll() {
			for (const client of created) client.destroy()
		},
	}
}
