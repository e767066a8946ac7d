import middy from '@middy/core'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { describe, expectTypeOf, it } from 'vitest'
import { type HmacAuth, type HmacAuthOptions, hmacAuth, type SecretFunction } from '../src/index.js'

const secrets: SecretFunction = async () => 's'

describe('types', () => {
	it('types context.auth in the handler', () => {
		middy<APIGatewayProxyEventV2>()
			.use(hmacAuth({ secrets }))
			.use(httpJsonBodyParser())
			.handler(async (event, context) => {
				expectTypeOf(context.auth).toEqualTypeOf<HmacAuth>()
				expectTypeOf(context.auth.method).toEqualTypeOf<'hmac'>()
				expectTypeOf(context.auth.tenantId).toEqualTypeOf<string>()
				expectTypeOf(context.awsRequestId).toBeString()
				expectTypeOf(event.rawPath).toBeString()
				return { statusCode: 200 }
			})
	})

	it('rejects unknown schemes and wrongly typed options at compile time', () => {
		expectTypeOf<HmacAuthOptions['scheme']>().toEqualTypeOf<
			'tenantry' | 'standard-webhooks' | import('../src/index.js').CustomScheme | undefined
		>()
		// @ts-expect-error: not a scheme
		expectTypeOf<HmacAuthOptions>().toMatchTypeOf<{ scheme: 'stripe' }>()
		expectTypeOf<SecretFunction>().returns.toEqualTypeOf<Promise<string | readonly string[]>>()
	})
})
