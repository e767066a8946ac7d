import middy from '@middy/core'
import type { AuthContextBase } from '@tenantry/util'
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { type JWTPayload, type JwtAuth, type JwtAuthOptions, jwtAuth } from '../src/index.js'

const options: JwtAuthOptions = {
	issuers: { issuer: 'https://auth.example.com', audience: 'api' },
	prefetch: false,
}

/** Checked by `tsc` (the test typecheck), not at run time. */
describe('types', () => {
	it('types context.auth in the handler after .use(jwtAuth(...))', () => {
		const plain = middy()
			.use(jwtAuth(options))
			.handler((_event, context) => context.auth.subject)
		const typed = middy<APIGatewayProxyEventV2>()
			.use(jwtAuth(options))
			.handler(async (event, context) => {
				expectTypeOf(context.auth).toEqualTypeOf<JwtAuth>()
				expectTypeOf(context.auth.method).toEqualTypeOf<'jwt'>()
				expectTypeOf(context.auth.subject).toEqualTypeOf<string>()
				expectTypeOf(context.auth.issuer).toEqualTypeOf<string>()
				expectTypeOf(context.auth.tenantId).toEqualTypeOf<string | undefined>()
				expectTypeOf(context.auth.scopes).toEqualTypeOf<readonly string[]>()
				expectTypeOf(context.auth.claims).toEqualTypeOf<JWTPayload>()
				expectTypeOf(context.auth.claims.exp).toEqualTypeOf<number | undefined>()
				expectTypeOf(context.auth.claims['custom:tenant_id']).toEqualTypeOf<unknown>()
				expectTypeOf(context.awsRequestId).toEqualTypeOf<string>()
				expectTypeOf(event.rawPath).toEqualTypeOf<string>()
				return { statusCode: 200 }
			})
		expectTypeOf<JwtAuth>().toExtend<AuthContextBase>()
		expectTypeOf(plain).parameter(1).toExtend<Context & { auth: JwtAuth }>()
		expect(typeof typed).toBe('function')
	})

	it('refuses misconfigurations at compile time too', () => {
		const compileOnly = () => {
			// @ts-expect-error: audience must be given (or null)
			jwtAuth({ issuers: { issuer: 'https://auth.example.com' } })
			// @ts-expect-error: HS256 is not a JWS algorithm this package verifies
			jwtAuth({ ...options, algorithms: ['HS256'] })
			// @ts-expect-error: tokenUse is id, access or null
			jwtAuth({ cognito: { clientId: 'c', tokenUse: 'refresh' } })
			middy()
				.use(jwtAuth(options))
				.handler((_event, context) => {
					// @ts-expect-error: context.auth is read-only
					context.auth.subject = 'someone else'
				})
		}
		expect(typeof compileOnly).toBe('function')
	})
})
