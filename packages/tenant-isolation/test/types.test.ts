import middy from '@middy/core'
import type { TenantContext } from '@tenantry/util'
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda'
import { describe, expectTypeOf, it } from 'vitest'
import { tenantIsolation } from '../src/index.js'

describe('types', () => {
	it('types context.tenant in the handler and keeps the event type', () => {
		middy<APIGatewayProxyEventV2>()
			.use(tenantIsolation())
			.handler(async (event, context) => {
				expectTypeOf(context.tenant).toEqualTypeOf<TenantContext>()
				expectTypeOf(context.tenant.key).toEqualTypeOf<(type: string, id: string) => string>()
				expectTypeOf(context).toExtend<Context>()
				expectTypeOf(event).toEqualTypeOf<APIGatewayProxyEventV2>()
				return { statusCode: 200 }
			})
	})

	it('does not type context.tenant without the middleware', () => {
		middy<APIGatewayProxyEventV2>().handler(async (_event, context) => {
			expectTypeOf(context).not.toHaveProperty('tenant')
			return { statusCode: 200 }
		})
	})
})
