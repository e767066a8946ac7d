import { createTtlCache } from '@tenantry/cache'
import { type ClientClass, type ClientConfigOf, construct } from './client-class.js'
import {
	clearHttpHandlers,
	type HttpHandlerOptions,
	httpHandlerDefaults,
	sharedHttpHandler,
} from './http-handler.js'
import { identityOf, stableHash } from './stable-key.js'

/**
 * Every client this container built, by (client class, region, endpoint, role, tenant,
 * hash of the rest of the config). Clients hold no sockets of their own (the keep-alive
 * pool belongs to the shared request handler), so dropping one closes nothing.
 */
const clients = createTtlCache<object>({ ttlMs: 86_400_000, maxEntries: 1_000 })

/** What besides the config makes two clients different. */
export interface ClientExtras {
	handler: Required<HttpHandlerOptions>
	/** The role of tenant-scoped credentials. */
	role?: string | undefined
	/** Identity of whatever the client is bound to beyond its config (tracer, middleware instance). */
	bindings?: readonly object[]
}

export interface ClientRecipe {
	/** The cache key; a tenant-scoped client appends the tenant id. */
	key: string
	/** The constructor argument, without the shared request handler. */
	config: Record<string, unknown>
	handler: Required<HttpHandlerOptions>
}

const keyPart = (value: unknown): string =>
	value === undefined ? '' : typeof value === 'string' ? value : stableHash(value)

/**
 * The cache key and constructor argument of a client. The class is keyed by identity, not
 * by name: bundlers may rename classes. Region falls back to `AWS_REGION`.
 */
export const clientRecipe = (
	ClientClass: ClientClass,
	given: Record<string, unknown>,
	extras: ClientExtras,
): ClientRecipe => {
	const region = given.region ?? process.env.AWS_REGION
	const { region: _region, endpoint, ...rest } = given
	const key = [
		`${ClientClass.name}@${identityOf(ClientClass)}`,
		keyPart(region),
		keyPart(endpoint),
		extras.role ?? '',
		stableHash({
			rest,
			handler: extras.handler,
			bindings: (extras.bindings ?? []).map(identityOf),
		}),
		'',
	].join('|')
	return {
		key,
		config: region === undefined ? given : { ...given, region },
		handler: extras.handler,
	}
}

/** Builds a client from its recipe with the shared keep-alive handler, unless the config brings one. */
export const buildClient = <C extends ClientClass>(
	ClientClass: C,
	recipe: ClientRecipe,
	extra: Record<string, unknown> = {},
): InstanceType<C> =>
	construct(ClientClass, {
		requestHandler: sharedHttpHandler(recipe.handler),
		...recipe.config,
		...extra,
	})

/** The cached client for `key`, built by `build` on first use. */
export const cachedClient = <T extends object>(key: string, build: () => T): T => {
	const cached = clients.lookup(key)
	if (cached !== undefined) return cached as T
	const client = build()
	clients.set(key, client)
	return client
}

/**
 * The container-wide client for this class and config, built on first use and reused by
 * every later call with an equal config: the cache `awsClients` uses, for code outside
 * middy. Region falls back to `AWS_REGION`; the request handler is the shared keep-alive
 * one (50 sockets, 3 s connection and request timeouts) unless the config brings its own.
 */
export const getClient = <C extends ClientClass>(
	ClientClass: C,
	config: ClientConfigOf<C> | Record<string, never> = {},
): InstanceType<C> => {
	const recipe = clientRecipe(ClientClass, config as Record<string, unknown>, {
		handler: httpHandlerDefaults,
	})
	return cachedClient(recipe.key, () => buildClient(ClientClass, recipe))
}

/** Forgets every cached client and shared request handler (for tests and re-configuration). */
export const clearClientCache = (): void => {
	clients.clear()
	clearHttpHandlers()
}

/** How many clients the container holds. */
export const getClientCacheSize = (): number => clients.size
