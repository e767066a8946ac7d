import { inspect } from 'node:util'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { lambdaContext, restApiEvent } from '@tenantry/testing'
import type { TenantContext } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { expect, it } from 'vitest'
import { assertTenantAccess, tenantIsolation } from '../src/index.js'
import { asLambda, testAuth } from './harness.js'

/**
 * Handlers hand helpers a copy of the context with something added (`{ ...context, logger }`).
 * A spread copies enumerable symbol keys: with the request record made non-enumerable, the copy
 * lost it and assertTenantAccess refused the resource without reporting the attempt to
 * onViolation, so a cross-tenant read vanished from the security log.
 */
it('reports a refusal by assertTenantAccess made with a spread copy of the context', async () => {
	const reported: unknown[] = []
	const logged: string[] = []
	const handler = middy(async (_event: unknown, context: Context & { tenant: TenantContext }) => {
		const withLogger = { ...context, logger: console }
		logged.push(inspect(withLogger))
		assertTenantAccess(withLogger, 'globex')
		return { statusCode: 200, body: '' }
	})
		.use(httpErrorHandler({ logger: false }))
		.use(testAuth(() => 'acme'))
		.use(tenantIsolation({ onViolation: (violation) => void reported.push(violation) }))
	const event = restApiEvent({
		method: 'POST',
		path: '/tenants/acme/orders',
		pathParameters: { tenantId: 'acme' },
		headers: { Authorization: 'Bearer x' },
		body: { card: '4111-1111-1111-1111' },
	})
	const response = await asLambda(handler)(event, lambdaContext())
	expect(response.statusCode).toBe(403)
	expect(reported).toEqual([
		expect.objectContaining({ code: 'tenant_access_denied', source: 'resource' }),
	])
	// Still out of what a logger prints.
	expect(logged.join('\n')).not.toContain('4111-1111')
})
