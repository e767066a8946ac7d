import { localCredentials } from './credentials.js'

/** Where a client built for a local endpoint points, and with which credentials. */
export interface LocalTarget {
	region: string
	endpoint: string
	credentials: typeof localCredentials
	/**
	 * Pinned, as `env` pins them for endpoint-less clients: a shell's `AWS_USE_FIPS_ENDPOINT` or
	 * `AWS_USE_DUALSTACK_ENDPOINT` (or the shared config file's settings) would make a client with
	 * an `endpoint` refuse to send.
	 */
	useFipsEndpoint: false
	useDualstackEndpoint: false
	/** The SDK's defaults, pinned as `env` pins them: a shell's `AWS_MAX_ATTEMPTS` would change them. */
	maxAttempts: number
	retryMode: 'standard'
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
	target: Pick<LocalTarget, 'region' | 'endpoint'>,
): LocalClients<C, Config> => {
	const created: C[] = []
	return {
		client(config = {} as Config) {
			const client = build({
				...target,
				credentials: localCredentials,
				useFipsEndpoint: false,
				useDualstackEndpoint: false,
				maxAttempts: 3,
				retryMode: 'standard',
				...config,
			})
			created.push(client)
			return client
		},
		destroyAll() {
			for (const client of created) client.destroy()
		},
	}
}
