import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import { DEFAULT_TENANT_ID_PATTERN, forbidden, unauthorized } from '@tenantry/util'
import { defineBench } from '../../../scripts/bench-kit.js'
import { tenantIsolation } from '../src/index.js'

/**
 * The warm path of one request: the tenant read from all six sources, checked against a
 * path parameter and a header, `context.tenant` set. The peer is the check handlers write
 * by hand: one source, one location, a plain object, no audit. Target: at most 2× that.
 */
export default defineBench(() => {
	const event = httpApiEvent({
		method: 'GET',
		path: '/tenants/acme/orders/1',
		pathParameters: { tenantId: 'acme' },
		headers: { 'x-tenant-id': 'acme', authorization: 'Bearer x' },
	})
	const context = lambdaContext()
	const request = () => ({
		event,
		context: { ...context, auth: { method: 'jwt', tenantId: 'acme' } },
		response: undefined,
		error: undefined,
		internal: {},
	})
	const middleware = tenantIsolation({
		match: { pathParameter: 'tenantId', header: 'x-tenant-id' },
	})
	const before = middleware.before as (request: unknown) => void
	const handRolled = (r: ReturnType<typeof request>) => {
		const tenantId = r.context.auth.tenantId
		if (typeof tenantId !== 'string') throw unauthorized('Bearer')
		if (!DEFAULT_TENANT_ID_PATTERN.test(tenantId)) throw forbidden()
		if (r.event.pathParameters?.tenantId !== tenantId) throw forbidden()
		const keyPrefix = `TENANT#${tenantId}#`
		;(r.context as { tenant?: unknown }).tenant = {
			id: tenantId,
			keyPrefix,
			key: (type: string, id: string) => `${keyPrefix}${type}#${id}`,
		}
	}
	return {
		comparisons: [
			{
				name: 'tenant isolation, warm request',
				ours: () => before(request()),
				peers: [
					{ name: 'hand-rolled single-source check', run: () => handRolled(request()), target: 2 },
				],
			},
		],
	}
})
