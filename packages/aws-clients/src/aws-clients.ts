// Static named imports: bundlers keep only these classes (a dynamic import() pulls in every
// command of the client). They are loaded with this module, tenantCredentials or not.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import type { MiddlewareObj, Request } from '@middy/core'
import {
	annotateTenant,
	createTenantContext,
	type HttpEventLike,
	isValidatedTenantContext,
	methodOf,
	misconfigured,
	pathOf,
	requestIdOf,
	serviceIdOf,
	type TenantContext,
	tenantKeyPrefix,
	type WithTenant,
} from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { buildClient, type ClientRecipe, cachedClient, clientRecipe } from './client-cache.js'
import type { ClientClass, ClientClasses, ClientsOf } from './client-class.js'
import { attachGuard } from './dynamo-guard.js'
import { packageName } from './errors.js'
import { type AwsClientsOptions, resolveOptions } from './options.js'
import { answerServiceErrors } from './outages.js'
import { startOutsideInvocationTrace } from './refresh-trace.js'
import { bindToTenantRequests } from './request-binding.js'
import { requestFacts, trackRequestsPerAsyncContext } from './request-facts.js'
import {
	createTenantCredentialSource,
	type StsClientLike,
	type TenantCredentialSource,
} from './tenant-credentials.js'

/** The context addition of `awsClients`. */
export interface WithClients<C extends ClientClasses> {
	/** Lazy: a client is built on first access and reused across invocations. */
	clients: ClientsOf<C>
	/** The `tableName` option, else `DYNAMODB_TABLE_NAME` (read at factory time); `undefined` when neither is set. */
	tableName: string | undefined
}

type ClientsRequest = Request<
	unknown,
	unknown,
	Error,
	Context & Partial<WithTenant> & { clients?: unknown; tableName?: string | undefined }
>

interface Entry {
	name: string
	ClientClass: ClientClass
	shared: ClientRecipe
	scoped: ClientRecipe
	/** Cache keys by tenant id, see `scopedKey`. */
	tenantKeys: Map<string, string>
}

const maxRememberedKeys = 1_000

/**
 * The cache key of a tenant's client. Composing it anew on every access would make the
 * cache hash a fresh string each time (most of the warm path's cost); the composed key is
 * kept per tenant id, forgotten wholesale when it outgrows the client cache.
 */
const scopedKey = (entry: Entry, tenantId: string): string => {
	let key = entry.tenantKeys.get(tenantId)
	if (key === undefined) {
		if (entry.tenantKeys.size >= maxRememberedKeys) entry.tenantKeys.clear()
		key = `${entry.scoped.key}${tenantId}`
		entry.tenantKeys.set(tenantId, key)
	}
	return key
}

const tenantSlot = Symbol('tenant')
const contextSlot = Symbol('context')

/** What `context.clients` is: one small object per request; the getters live on a prototype. */
class ClientsView {
	readonly [tenantSlot]: TenantContext | undefined
	/**
	 * The request's context when `before` found no tenant but clients would be scoped by one:
	 * a tenant that appears later (tenantIsolation `.use()`d after awsClients) must not be served
	 * unscoped, unguarded clients.
	 */
	readonly [contextSlot]: { tenant?: unknown } | undefined
	constructor(tenant: TenantContext | undefined, context: { tenant?: unknown } | undefined) {
		this[tenantSlot] = tenant
		this[contextSlot] = context
	}
}

const maxFactLength = 256
const clipFact = (value: string | undefined): string | undefined =>
	value !== undefined && value.length > maxFactLength ? `${value.slice(0, maxFactLength)}…` : value

const asEvent = (event: unknown): HttpEventLike =>
	typeof event === 'object' && event !== null ? (event as HttpEventLike) : {}

/**
 * The request's tenant as a context built by `createTenantContext` (what tenant isolation hands
 * out: frozen, one per tenant). A context set by hand is checked and replaced by such a copy:
 * cached clients keep their tenant for the container's life, so they must never hold an object
 * that could later name another tenant.
 */
const tenantOf = (context: ClientsRequest['context']): TenantContext | undefined => {
	const tenant: Partial<TenantContext> | undefined = context.tenant
	if (tenant === undefined || isValidatedTenantContext(tenant)) return tenant
	// A custom middleware may have put anything there, `null` included.
	const id = typeof tenant === 'object' && tenant !== null ? tenant.id : undefined
	let prefix: string | undefined
	try {
		prefix = typeof id === 'string' ? tenantKeyPrefix(id) : undefined
	} catch {
		prefix = undefined
	}
	if (id === undefined || prefix === undefined || tenant.keyPrefix !== prefix) {
		throw misconfigured(
			`${packageName}: context.tenant is not a tenant context from tenantIsolation()`,
		)
	}
	return createTenantContext(id)
}

/**
 * Injects AWS SDK v3 clients into `context.clients`, built lazily and cached per
 * container. With a tenant on `context` (from `tenantIsolation()`), each tenant gets its
 * own client instances: with `tenantCredentials` they sign with that tenant's STS
 * session, and DynamoDB clients carry the tenant guard.
 */
export const awsClients = <const C extends ClientClasses>(
	options: AwsClientsOptions<C>,
): MiddlewareObj<unknown, unknown, Error, Context & WithClients<C>> => {
	const resolved = resolveOptions(options)
	const { guard, tracer, tableName, onViolation, requiresTenant, httpHandler, outages } = resolved
	if (resolved.concurrentInvocations) trackRequestsPerAsyncContext()
	const instance = {}
	const roleArn = resolved.tenantCredentials?.roleArn
	const bindings = tracer === undefined ? [] : [tracer]

	let credentials: TenantCredentialSource | undefined
	if (resolved.tenantCredentials !== undefined) {
		const givenSts = resolved.tenantCredentials.sts
		const sts = async (): Promise<StsClientLike> => {
			if (givenSts !== undefined) return givenSts
			const recipe = clientRecipe(STSClient, resolved.config, { handler: httpHandler })
			return cachedClient(recipe.key, () => buildClient(STSClient, recipe))
		}
		credentials = createTenantCredentialSource(
			resolved.tenantCredentials,
			requestFacts,
			sts,
			async () => AssumeRoleCommand,
			tracer === undefined ? undefined : startOutsideInvocationTrace(tracer),
		)
	}
	const scopesByTenant = credentials !== undefined || guard !== undefined
	const answerErrors = answerServiceErrors(outages?.retryAfterSec)

	const entries: Entry[] = Object.entries(resolved.clients).map(([name, ClientClass]) => {
		const config = { ...resolved.config, ...resolved.perClient[name] }
		return {
			name,
			ClientClass,
			shared: clientRecipe(ClientClass, config, { handler: httpHandler, bindings }),
			scoped: clientRecipe(ClientClass, config, {
				handler: httpHandler,
				role: roleArn,
				bindings: [...bindings, instance],
			}),
			tenantKeys: new Map(),
		}
	})

	const build = (entry: Entry, tenant: TenantContext | undefined): object => {
		if (tenant === undefined) return buildClient(entry.ClientClass, entry.shared)
		const client = buildClient(
			entry.ClientClass,
			entry.scoped,
			credentials === undefined ? {} : { credentials: credentials.providerFor(tenant) },
		)
		bindToTenantRequests(client, tenant, requestFacts, onViolation, answerErrors)
		if (guard !== undefined && serviceIdOf(client) === 'DynamoDB')
			attachGuard(client, tenant, guard, requestFacts, onViolation)
		return client
	}

	const clientFor = (entry: Entry, tenant: TenantContext | undefined): object => {
		const scope = scopesByTenant ? tenant : undefined
		const key = scope === undefined ? entry.shared.key : scopedKey(entry, scope.id)
		return cachedClient(key, () => {
			const client = build(entry, scope)
			return tracer === undefined ? client : tracer.captureAWSv3Client(client)
		})
	}

	// Getters on a prototype built once: a request allocates one small object, and a client
	// nobody reads is never built.
	class Clients extends ClientsView {}
	for (const entry of entries) {
		Object.defineProperty(Clients.prototype, entry.name, {
			enumerable: true,
			get(this: ClientsView) {
				const tenant = this[tenantSlot]
				if (tenant === undefined && this[contextSlot]?.tenant !== undefined) {
					throw misconfigured(
						`${packageName}: context.tenant was set after awsClients ran, so context.clients.${entry.name} would be neither scoped to it nor guarded; use tenantIsolation() before awsClients()`,
					)
				}
				return clientFor(entry, tenant)
			},
		})
	}

	// Marks the requests this instance's `before` has seen, for `onError`.
	const entered = Symbol('awsClients entered')

	const enter = (request: ClientsRequest, tenant: TenantContext | undefined): void => {
		const event = asEvent(request.event)
		requestFacts.enter(
			request,
			tenant?.id,
			requestIdOf(event, request.context),
			clipFact(pathOf(event)),
			clipFact(methodOf(event)),
		)
	}

	const before = (request: ClientsRequest): void => {
		const { context } = request
		;(request as ClientsRequest & { [entered]?: true })[entered] = true
		// A context object reused between invocations (some hosts and tests do) must not hand
		// the previous request's clients to onError handlers when this request fails below.
		context.clients = undefined
		let tenant: TenantContext | undefined
		try {
			tenant = tenantOf(context)
		} finally {
			// Entered even when the tenant is refused: clients bound to the previous request's
			// tenant must not serve this one.
			enter(request, tenant)
		}
		if (tenant === undefined && requiresTenant) {
			throw misconfigured(
				`${packageName}: tenantCredentials and dynamoTenantGuard need context.tenant; use tenantIsolation() before awsClients()`,
			)
		}
		if (tenant !== undefined) annotateTenant(tracer, tenant.id)
		context.clients = new Clients(
			tenant,
			tenant === undefined && scopesByTenant ? context : undefined,
		)
		context.tableName = tableName
	}

	// A request that failed before reaching `before` (refused by authentication or tenant
	// isolation) is entered here, ahead of the onError handlers of the middlewares before this
	// one: clients kept from an earlier request must not serve them.
	const onError = (request: ClientsRequest & { [entered]?: true }): void => {
		if (request[entered] === true) return
		request.context.clients = undefined
		enter(request, undefined)
	}

	return { before, onError, name: 'awsClients' } as MiddlewareObj<
		unknown,
		unknown,
		Error,
		Context & WithClients<C>
	>
}
