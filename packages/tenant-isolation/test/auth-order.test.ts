import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { expect, it } from 'vitest'
import { tenantIsolation } from '../src/index.js'
import { testAuth } from './harness.js'

/**
 * An authentication middleware `.use()`d after tenantIsolation sets `context.auth` too late: the
 * request is a 401, whose logged cause must say where to look, not only that no tenant was named.
 */
it('names the middleware order in the logged cause of a 401 when authentication runs after it', async () => {
	const errors: unknown[] = []
	const handler = middy<APIGatewayProxyEventV2>()
		.use(httpErrorHandler({ logger: (error: unknown) => void errors.push(error) }))
		.use(tenantIsolation())
		.use(testAuth(() => 'acme'))
		.handler(async () => ({ statusCode: 200, body: '' }))
	const response = await handler(httpApiEvent({}), lambdaContext())
	expect(response).toMatchObject({ statusCode: 401 })
	expect(response.body).not.toMatch(/tenantIsolation|jwtAuth/)
	expect(String((errors[0] as { cause?: Error }).cause?.message)).toMatch(/before tenantIsolation/)
})
