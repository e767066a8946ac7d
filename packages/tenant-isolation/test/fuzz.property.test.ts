import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pipeline } from './harness.js'

const tenants = ['acme', 'globex'] as const
const validPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/** A value a source or a reference might hold: absent, one of two tenants, or garbage. */
const slot = fc.oneof(
	{ weight: 4, arbitrary: fc.constant(undefined) },
	{ weight: 4, arbitrary: fc.constantFrom(...tenants) },
	{ weight: 1, arbitrary: fc.constant(null) },
	{ weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
	{ weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
)

const present = (value: unknown): boolean => value !== undefined && value !== null
const isValid = (value: unknown): boolean => typeof value === 'string' && validPattern.test(value)

const scenario = fc.record({
	auth: slot,
	restAuthorizer: slot,
	cognitoAuthorizer: slot,
	httpLambdaAuthorizer: slot,
	httpJwtAuthorizer: slot,
	lambdaContext: slot,
	pathParameter: slot,
	header: fc.oneof(
		fc.constant(undefined),
		fc.constantFrom(...tenants),
		fc.string({ maxLength: 40 }),
	),
	query: fc.oneof(slot, fc.array(slot, { maxLength: 3 })),
	body: slot,
	shape: fc.constantFrom('http', 'rest'),
})

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never

/** Lays the scenario out as an event, the way API Gateway and the auth middleware would. */
const eventOf = (s: Scenario): Record<string, unknown> => {
	const authorizer: Record<string, unknown> = {}
	if (s.restAuthorizer !== undefined) authorizer.tenant_id = s.restAuthorizer
	if (s.cognitoAuthorizer !== undefined)
		authorizer.claims = { 'custom:tenant_id': s.cognitoAuthorizer }
	if (s.httpLambdaAuthorizer !== undefined)
		authorizer.lambda = { tenant_id: s.httpLambdaAuthorizer }
	if (s.httpJwtAuthorizer !== undefined)
		authorizer.jwt = { claims: { 'custom:tenant_id': s.httpJwtAuthorizer } }
	const queries = Array.isArray(s.query) ? s.query : [s.query]
	return {
		requestContext: { requestId: 'fuzz', authorizer },
		headers: s.header === undefined ? {} : { 'x-tenant-id': s.header },
		pathParameters: s.pathParameter === undefined ? null : { tenantId: s.pathParameter },
		...(s.shape === 'rest'
			? { multiValueQueryStringParameters: { tenant: queries } }
			: { queryStringParameters: { tenant: s.query } }),
		// What @middy/http-json-body-parser leaves behind: a parsed body.
		body: { order: { tenantId: s.body } },
		auth: s.auth,
	}
}

/** The documented rules, written out plainly: the answer every scenario must get. */
const expected = (s: Scenario): { status: 200 | 401 | 403; tenant?: string } => {
	const named = [
		{ value: s.auth, establishes: true },
		{ value: s.restAuthorizer, establishes: true },
		{ value: s.cognitoAuthorizer, establishes: true },
		{ value: s.httpLambdaAuthorizer, establishes: true },
		{ value: s.httpJwtAuthorizer, establishes: true },
		{ value: s.lambdaContext, establishes: false },
	].filter((entry) => present(entry.value))
	if (named.some((entry) => !isValid(entry.value))) return { status: 403 }
	const tenant = named.find((entry) => entry.establishes)?.value as string | undefined
	if (tenant === undefined) return { status: 401 }
	if (named.some((entry) => entry.value !== tenant)) return { status: 403 }
	// REST lists every value of a repeated parameter; HTTP API holds one (an array is garbage there).
	const queryValues = (s.shape === 'rest' && Array.isArray(s.query) ? s.query : [s.query]).filter(
		present,
	)
	const references = [s.pathParameter, s.header, ...queryValues, s.body].filter(present)
	if (references.some((value) => value !== tenant)) return { status: 403 }
	return { status: 200, tenant }
}

describe('tenant isolation under random events', () => {
	it('answers exactly as the rules say: the agreed tenant, 401 or 403, never a 500', async () => {
		const { handler, seen } = pipeline(
			{
				match: {
					pathParameter: 'tenantId',
					header: 'x-tenant-id',
					query: 'tenant',
					bodyField: 'order.tenantId',
				},
			},
			{ auth: (event) => (event as { auth?: unknown }).auth },
		)
		await fc.assert(
			fc.asyncProperty(scenario, async (s) => {
				const ran = seen.length
				const context = {
					awsRequestId: 'fuzz',
					...(s.lambdaContext === undefined ? {} : { tenantId: s.lambdaContext }),
				}
				const response = await handler(eventOf(s), context as never)
				const want = expected(s)
				expect(response.statusCode).toBe(want.status)
				if (want.status === 200) {
					expect(seen).toHaveLength(ran + 1)
					expect(seen.at(-1)?.id).toBe(want.tenant)
				} else {
					expect(seen).toHaveLength(ran)
				}
			}),
			{ numRuns: 2_500 },
		)
	})

	it('refuses garbage events and contexts with 401 or 403 only', async () => {
		const { handler, seen } = pipeline(
			{ match: { pathParameter: 'tenantId', header: 'x-tenant-id', query: 'tenant' } },
			{ auth: (event) => (event as { auth?: unknown } | null)?.auth },
		)
		await fc.assert(
			fc.asyncProperty(
				fc.anything({ maxDepth: 4, withNullPrototype: true, withMap: true }),
				fc.dictionary(fc.string({ maxLength: 10 }), fc.anything({ maxDepth: 2 })),
				async (event, context) => {
					const ran = seen.length
					const response = await handler(event, { ...context, awsRequestId: 'x' } as never)
					if (response.statusCode === 200) {
						expect(seen).toHaveLength(ran + 1)
						expect(seen.at(-1)?.id).toMatch(validPattern)
					} else {
						expect([401, 403]).toContain(response.statusCode)
						expect(seen).toHaveLength(ran)
					}
				},
			),
			{ numRuns: 2_000 },
		)
	})
})
