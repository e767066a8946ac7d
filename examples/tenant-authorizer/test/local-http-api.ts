import {
	type HttpRequestSpec,
	httpApiAuthorizerEvent,
	httpApiEvent,
	lambdaContext,
} from '@tenantry/testing'
import { templateOf } from '../../../scripts/examples.js'
import type { Authorize, Downstream } from './local-tenant-authorizer.js'

/** The authorizer as template.yaml declares it on the HTTP API. */
interface AuthorizerSettings {
	/** `Identity.Headers`: the identity source, and the cache key. */
	headers: string[]
	/** `Identity.ReauthorizeEvery`: how long a decision is cached. */
	ttlSec: number
}

const authorizerSettings = (): AuthorizerSettings => {
	const api = templateOf('tenant-authorizer').Resources.Api?.Properties as {
		Auth: {
			Authorizers: Record<string, { Identity: { Headers: string[]; ReauthorizeEvery: number } }>
		}
	}
	const identity = api.Auth.Authorizers.TenantAuthorizer?.Identity
	if (identity === undefined) throw new Error('template.yaml has no TenantAuthorizer')
	return { headers: identity.Headers, ttlSec: identity.ReauthorizeEvery }
}

export interface GatewayAnswer {
	statusCode: number
	/** Whether API Gateway invoked the authorizer for this request (not a cache hit, not a 401). */
	invokedAuthorizer: boolean
}

type Flat = string | number | boolean

type SimpleResponse = { isAuthorized: boolean; context?: Record<string, Flat> }

const isSimpleResponse = (value: unknown): value is SimpleResponse => {
	if (typeof value !== 'object' || value === null) return false
	const { isAuthorized, context } = value as { isAuthorized?: unknown; context?: unknown }
	if (typeof isAuthorized !== 'boolean') return false
	if (context === undefined) return true
	return (
		typeof context === 'object' &&
		context !== null &&
		Object.values(context).every((entry) => ['string', 'number', 'boolean'].includes(typeof entry))
	)
}

/**
 * What an HTTP API does in front of the downstream function with the Lambda authorizer the
 * template declares (payload 2.0, simple responses), so that tests see the status the client
 * gets rather than the function's return value:
 * - an identity source header missing or empty: 401, the authorizer is not invoked;
 * - a decision is cached per identity source values for `ReauthorizeEvery`, for every route;
 * - `isAuthorized: false`: 403; `true`: the downstream function, with the context under
 *   `requestContext.authorizer.lambda`; anything else (a context value that is not flat): 500;
 * - the function fails: nothing is cached, and the client gets 401 when the error message
 *   Lambda reports is exactly `Unauthorized` (API Gateway's signal for it), else 500.
 */
export const localHttpApi = (
	authorize: Authorize,
	downstream: Downstream,
	now: () => number = Date.now,
) => {
	const { headers, ttlSec } = authorizerSettings()
	const cache = new Map<string, { decision: SimpleResponse; expiresAt: number }>()
	return async (request: HttpRequestSpec): Promise<GatewayAnswer> => {
		const sent = Object.fromEntries(
			Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
		)
		const identity = headers.map((name) => sent[name.toLowerCase()])
		if (identity.some((value) => value === undefined || value === ''))
			return { statusCode: 401, invokedAuthorizer: false }
		const key = JSON.stringify(identity)
		let entry = cache.get(key)
		let invokedAuthorizer = false
		if (entry === undefined || entry.expiresAt <= now()) {
			invokedAuthorizer = true
			cache.delete(key)
			let decision: unknown
			try {
				decision = await authorize(
					httpApiAuthorizerEvent({ ...request, identitySource: identity as string[] }),
					lambdaContext(),
				)
			} catch (error) {
				const message = error instanceof Error ? error.message : String(error)
				return { statusCode: message === 'Unauthorized' ? 401 : 500, invokedAuthorizer }
			}
			// An answer API Gateway cannot read is a 500, and not cached.
			if (!isSimpleResponse(decision)) return { statusCode: 500, invokedAuthorizer }
			entry = { decision, expiresAt: now() + ttlSec * 1000 }
			if (ttlSec > 0) cache.set(key, entry)
		}
		const { decision } = entry
		if (!decision.isAuthorized) return { statusCode: 403, invokedAuthorizer }
		const response = await downstream(
			httpApiEvent({ ...request, authorizer: { lambda: decision.context ?? {} } }),
			lambdaContext(),
		)
		return { statusCode: response.statusCode ?? 200, invokedAuthorizer }
	}
}
