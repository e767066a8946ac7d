import { inspect } from 'node:util'
import middy from '@middy/core'
import errorLogger from '@middy/error-logger'
import httpErrorHandler from '@middy/http-error-handler'
import httpEventNormalizer from '@middy/http-event-normalizer'
import httpHeaderNormalizer from '@middy/http-header-normalizer'
import { lambdaContext, restApiEvent } from '@tenantry/testing'
import type { TenantContext } from '@tenantry/util'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { assertTenantAccess, tenantIsolation } from '../src/index.js'
import { asLambda, testAuth } from './harness.js'

const token = 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLW9mLWFjbWU'

/** A REST API event as API Gateway passes it: every spelling the client sent is its own key. */
const restEvent = (
	headers: Record<string, string>,
	pathTenant = 'acme',
	body?: Record<string, unknown>,
): APIGatewayProxyEvent =>
	restApiEvent({
		method: body === undefined ? 'GET' : 'POST',
		path: `/tenants/${pathTenant}/orders`,
		pathParameters: { tenantId: pathTenant },
		headers,
		...(body === undefined ? {} : { body }),
	})

describe('what tenantIsolation leaves on context, with the loggers users add', () => {
	it("keeps the request's body out of a logged context", async () => {
		// error-logger hands the whole middy request to its logger, and console.error(context)
		// (util.inspect, depth 2) prints enumerable symbol keys: the record assertTenantAccess
		// needs holds the event, so its body (and, deeper, its Authorization header) would be
		// printed wherever a handler or logger prints the context.
		const logged: string[] = []
		const handler = middy(async (_event: unknown, context: Context & { tenant: TenantContext }) => {
			assertTenantAccess(context, 'globex')
			return { statusCode: 200, body: '' }
		})
			.use(errorLogger({ logger: (request) => logged.push(inspect(request.context)) }))
			.use(httpErrorHandler({ logger: false }))
			.use(testAuth(() => 'acme'))
			.use(tenantIsolation({ onViolation: () => undefined }))
		const event = restEvent({ Authorization: token }, 'acme', { card: '4111-1111-1111-1111' })
		const response = await asLambda(handler)(event, lambdaContext())
		expect(response.statusCode).toBe(403)
		expect(logged).toHaveLength(1)
		expect(logged[0]).toContain("id: 'acme'")
		expect(logged[0]).not.toContain('4111-1111')
		expect(inspect(logged, { depth: 10 })).not.toContain('c2lnbmF0dXJlLW9mLWFjbWU')
	})

	it('still reports a refusal by assertTenantAccess with the request it came from', async () => {
		const reported: unknown[] = []
		const handler = middy(async (_event: unknown, context: Context & { tenant: TenantContext }) => {
			assertTenantAccess(context, 'globex')
			return { statusCode: 200, body: '' }
		})
			.use(httpErrorHandler({ logger: false }))
			.use(testAuth(() => 'acme'))
			.use(tenantIsolation({ onViolation: (violation) => void reported.push(violation) }))
		const event = restEvent({ Authorization: token })
		await asLambda(handler)(event, lambdaContext())
		expect(reported).toEqual([
			expect.objectContaining({
				code: 'tenant_access_denied',
				source: 'resource',
				requestId: event.requestContext.requestId,
				path: event.path,
			}),
		])
	})
})

describe('tenantIsolation after the normalizers users put first', () => {
	const pipeline = (canonical: boolean) => {
		const seen: unknown[] = []
		const handler = middy(async (event: APIGatewayProxyEvent) => {
			// What a handler reads after the normalizer: one spelling.
			seen.push(event.headers[canonical ? 'X-Tenant-Id' : 'x-tenant-id'])
			return { statusCode: 200, body: '' }
		})
			.use(httpEventNormalizer())
			.use(httpHeaderNormalizer({ canonical }))
			.use(httpErrorHandler({ logger: false }))
			.use(testAuth(() => 'acme'))
			.use(
				tenantIsolation({
					match: { pathParameter: 'tenantId', header: 'x-tenant-id', query: 'tenant' },
					onViolation: () => undefined,
				}),
			)
		const invoke = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
			asLambda(handler)(event, lambdaContext())
		return { invoke, seen }
	}

	it.each([false, true])(
		'accepts a request naming the tenant in any header spelling (canonical %s)',
		async (canonical) => {
			const { invoke, seen } = pipeline(canonical)
			expect((await invoke(restEvent({ 'X-TENANT-ID': 'acme' }))).statusCode).toBe(200)
			expect(seen).toEqual(['acme'])
		},
	)

	it.each([false, true])(
		'never lets the handler read another tenant from a header sent twice (canonical %s)',
		async (canonical) => {
			// The normalizer keeps the last spelling in both records; tenantIsolation then reads
			// the value the handler reads, so either order of the two copies is consistent.
			const { invoke, seen } = pipeline(canonical)
			const globexLast = await invoke(restEvent({ 'X-Tenant-Id': 'acme', 'x-tenant-id': 'globex' }))
			expect(globexLast.statusCode).toBe(403)
			const acmeLast = await invoke(restEvent({ 'x-tenant-id': 'globex', 'X-Tenant-Id': 'acme' }))
			expect(acmeLast.statusCode).toBe(200)
			expect(seen).toEqual(['acme'])
		},
	)

	it('refuses a header sent twice when the normalizer runs after it', async () => {
		const handler = middy(async () => ({ statusCode: 200, body: '' }))
			.use(httpErrorHandler({ logger: false }))
			.use(testAuth(() => 'acme'))
			.use(tenantIsolation({ match: { header: 'x-tenant-id' }, onViolation: () => undefined }))
			.use(httpHeaderNormalizer())
		const response = await asLambda(handler)(
			restEvent({ 'x-tenant-id': 'globex', 'X-Tenant-Id': 'acme' }),
			lambdaContext(),
		)
		expect(response.statusCode).toBe(403)
	})

	it('treats the empty records http-event-normalizer adds as naming nothing', async () => {
		const { invoke } = pipeline(false)
		const event = restEvent({})
		// A REST event without a query string: the normalizer turns the nulls into `{}`.
		expect(event.queryStringParameters).toBeNull()
		expect((await invoke(event)).statusCode).toBe(200)
	})
})
