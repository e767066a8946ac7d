import middy, { type MiddlewareObj } from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import type { TenantContext, WithAuth } from '@tenantry/util'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import { vi } from 'vitest'
import { type TenantIsolationOptions, type TenantViolation, tenantIsolation } from '../src/index.js'

/**
 * Stands in for jwt-auth / hmac-auth: sets `context.auth` the way they do. `tenantOf`
 * picks the authenticated tenant per event, so one pipeline serves many cases.
 */
export const testAuth = (
	tenantOf: (event: unknown) => unknown,
): MiddlewareObj<unknown, unknown, Error, Context & WithAuth> => ({
	before: (request) => {
		request.context.auth = { method: 'test', tenantId: tenantOf(request.event) as string }
	},
})

export interface PipelineOptions {
	/** The authenticated tenant, or a function choosing it per event; omitted: no auth middleware. */
	auth?: string | ((event: unknown) => unknown)
	/** Put `@middy/http-json-body-parser` before tenant isolation. */
	parseBody?: boolean
}

export interface Pipeline {
	handler: (event: unknown, context: Context) => Promise<APIGatewayProxyResult>
	violations: TenantViolation[]
	/** Tenants the handler saw, one per run. */
	seen: TenantContext[]
	errors: unknown[]
}

/**
 * A middy handler called the way Lambda calls it: middy types the context with what its
 * middlewares add, which a plain Lambda context does not have yet.
 */
export const asLambda = (handler: unknown): Pipeline['handler'] => handler as Pipeline['handler']

/** The way users run it: error handler first, then auth, body parser, tenant isolation. */
export const pipeline = (
	options: TenantIsolationOptions = {},
	{ auth, parseBody = false }: PipelineOptions = {},
): Pipeline => {
	const violations: TenantViolation[] = []
	const seen: TenantContext[] = []
	const errors: unknown[] = []
	const handler = middy(async (_event: unknown, context: Context & { tenant: TenantContext }) => {
		seen.push(context.tenant)
		return { statusCode: 200, body: context.tenant.id }
	}).use(httpErrorHandler({ logger: (error: unknown) => errors.push(error) }))
	if (auth !== undefined) handler.use(testAuth(typeof auth === 'function' ? auth : () => auth))
	if (parseBody) handler.use(httpJsonBodyParser())
	handler.use(
		tenantIsolation({
			onViolation: vi.fn((violation: TenantViolation) => {
				violations.push(violation)
			}),
			...options,
		}),
	)
	return {
		handler: asLambda(handler),
		violations,
		seen,
		errors,
	}
}
