import { tenantLookAlikes } from '@tenantry/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pipeline } from './harness.js'

const tenants = ['acme', 'globex'] as const
const validPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/**
 * Texts one comparison away from `acme`: letter case, padding, a separator, a Cyrillic `а`, a
 * percent-escape, a NUL. Random strings almost never land next to a tenant id, and a source or
 * reference compared case-insensitively or trimmed passed 2,500 runs without them.
 */
const lookAlikes = tenantLookAlikes('acme')

/** A value a source or a reference might hold: absent, one of two tenants, or garbage. */
const slot = fc.oneof(
	{ weight: 4, arbitrary: fc.constant(undefined) },
	{ weight: 4, arbitrary: fc.constantFrom(...tenants) },
	{ weight: 2, arbitrary: fc.constantFrom(...lookAlikes) },
	{ weight: 1, arbitrary: fc.constant(null) },
	{ weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
	{ weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
)

/** Percent-encodes some characters of a text (upper or lower hex), as a client may. */
const percentEncoded = (text: string, picks: readonly boolean[], lower: boolean): string =>
	[...text]
		.map((char, i) => {
			if (!picks[i % Math.max(1, picks.length)]) return char
			const hex = [...Buffer.from(char, 'utf8')]
				.map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
				.join('')
			return lower ? hex : hex.toUpperCase()
		})
		.join('')

/** A text as it may arrive in an ALB's query string: as is, partly percent-encoded, or garbage. */
const encodedText = (texts: fc.Arbitrary<string>) =>
	fc.oneof(
		{ weight: 3, arbitrary: texts },
		{
			weight: 3,
			arbitrary: fc
				.tuple(texts, fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }), fc.boolean())
				.map(([text, picks, lower]) => percentEncoded(text, picks, lower)),
		},
		// Spaces as '+', malformed escapes, and a '%' of its own.
		{ weight: 1, arbitrary: texts.map((text) => `${text}+`) },
		{ weight: 1, arbitrary: texts.map((text) => `%${text}`) },
		{ weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
	)

/** One parameter of an ALB event's query string, its name and value as the ALB passes them. */
const albParameter = fc.record({
	name: encodedText(fc.constantFrom('tenant', 'tenant', 'Tenant', 'tenant ', 'other')),
	value: fc.oneof(
		{ weight: 6, arbitrary: encodedText(fc.constantFrom(...tenants, 'acm e', '')) },
		{ weight: 1, arbitrary: slot },
	),
})

/**
 * The name or value a handler reads once it decodes the text as a form would (URLSearchParams,
 * the WHATWG parser: lenient with malformed escapes, which then keep a '%' and so name no
 * tenant either way).
 */
const formDecoded = (text: string): string =>
	new URLSearchParams(`x=${text.replaceAll('&', '%26')}`).get('x') ?? text

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
		fc.constantFrom(...lookAlikes),
		fc.string({ maxLength: 40 }),
		// Not a string: refused like any non-string reference, never read as naming nothing.
		fc.oneof(
			fc.integer(),
			fc.boolean(),
			fc.array(fc.constantFrom(...tenants), { maxLength: 2 }),
			fc.object({ maxDepth: 1 }),
		),
	),
	// REST APIs keep the name as the client spelled it, and a second line in multiValueHeaders.
	headerName: fc.constantFrom('x-tenant-id', 'X-Tenant-Id', 'X-TENANT-ID'),
	headerCopy: fc.oneof(
		{ weight: 3, arbitrary: fc.constant(undefined) },
		{ weight: 1, arbitrary: slot },
	),
	query: fc.oneof(slot, fc.array(slot, { maxLength: 3 })),
	albQuery: fc.array(albParameter, { maxLength: 4 }),
	body: slot,
	shape: fc.constantFrom('http', 'rest', 'alb', 'alb-multi'),
})

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never

/** A scenario with one caller's tenant everywhere, for examples that vary one part. */
const quietScenario: Scenario = {
	auth: 'acme',
	restAuthorizer: undefined,
	cognitoAuthorizer: undefined,
	httpLambdaAuthorizer: undefined,
	httpJwtAuthorizer: undefined,
	lambdaContext: undefined,
	pathParameter: 'acme',
	header: undefined,
	headerName: 'x-tenant-id',
	headerCopy: undefined,
	query: undefined,
	albQuery: [],
	body: undefined,
	shape: 'http',
}

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
	if (s.shape === 'alb' || s.shape === 'alb-multi') {
		const multi = s.shape === 'alb-multi'
		// A multi-value target group lists every copy; a single-value one keeps the last.
		// A Map, so that names such as `valueOf` or `__proto__` are parameters like any other.
		const parameters = new Map<string, unknown>()
		for (const { name, value } of s.albQuery) {
			const earlier = parameters.get(name)
			parameters.set(name, multi ? [...((earlier as unknown[] | undefined) ?? []), value] : value)
		}
		return {
			requestContext: { elb: { targetGroupArn: 'arn:fuzz' }, authorizer },
			...(multi
				? {
						multiValueHeaders: s.header === undefined ? {} : { 'x-tenant-id': [s.header] },
						multiValueQueryStringParameters: Object.fromEntries(parameters),
					}
				: {
						headers: s.header === undefined ? {} : { 'x-tenant-id': s.header },
						queryStringParameters: Object.fromEntries(parameters),
					}),
			pathParameters: s.pathParameter === undefined ? null : { tenantId: s.pathParameter },
			body: { order: { tenantId: s.body } },
			auth: s.auth,
		}
	}
	const headerLines = [s.header, s.headerCopy].filter((line) => line !== undefined)
	return {
		requestContext: { requestId: 'fuzz', authorizer },
		headers: s.header === undefined ? {} : { [s.headerName]: s.header },
		...(s.shape === 'rest' && headerLines.length > 0
			? { multiValueHeaders: { [s.headerName]: headerLines } }
			: {}),
		pathParameters: s.pathParameter === undefined ? null : { tenantId: s.pathParameter },
		...(s.shape === 'rest'
			? { multiValueQueryStringParameters: { tenant: queries } }
			: { queryStringParameters: { tenant: s.query } }),
		// What @middy/http-json-body-parser leaves behind: a parsed body.
		body: { order: { tenantId: s.body } },
		auth: s.auth,
	}
}

/** Every value an ALB event gives the parameter `tenant`, names and values decoded. */
const albQueryValues = (s: Scenario): unknown[] => {
	const kept = new Map<string, unknown[]>()
	for (const { name, value } of s.albQuery) {
		kept.set(name, s.shape === 'alb-multi' ? [...(kept.get(name) ?? []), value] : [value])
	}
	return [...kept]
		.filter(([name]) => formDecoded(name) === 'tenant')
		.flatMap(([, values]) => values)
		.flatMap((value) => (s.shape === 'alb' && Array.isArray(value) ? value : [value]))
		.map((value) => (typeof value === 'string' ? formDecoded(value) : value))
}

/**
 * What the header names: in a REST event both records, `multiValueHeaders` with its string lines
 * joined by `, ` (a header sent twice names no single tenant) and any other line on its own.
 */
const headerValues = (s: Scenario): unknown[] => {
	if (s.shape !== 'rest') return [s.header]
	const lines = [s.header, s.headerCopy].filter(present)
	const strings = lines.filter((line) => typeof line === 'string')
	const others = lines.filter((line) => typeof line !== 'string')
	return [...others, ...(strings.length > 0 ? [strings.join(', ')] : []), s.header]
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
	const queryValues = (
		s.shape === 'alb' || s.shape === 'alb-multi'
			? albQueryValues(s)
			: s.shape === 'rest' && Array.isArray(s.query)
				? s.query
				: [s.query]
	).filter(present)
	const references = [s.pathParameter, ...headerValues(s), ...queryValues, s.body].filter(present)
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
			{
				// Look-alike references are rare next to agreeing sources: 2,500 runs missed a trimmed comparison.
				numRuns: Number(process.env.TENANTRY_PROPERTY_RUNS ?? 10_000),
				examples: [
					[
						{
							...quietScenario,
							shape: 'alb-multi',
							albQuery: [
								{ name: 'valueOf', value: 'acme+' },
								{ name: '__proto__', value: 'globex' },
								{ name: 'tenant', value: 'acme' },
							],
						},
					],
					// Each look-alike once for sure: random runs reach them next to agreeing sources rarely.
					...lookAlikes.map((header): [Scenario] => [{ ...quietScenario, shape: 'rest', header }]),
					[{ ...quietScenario, shape: 'rest', header: 'acme', headerCopy: 'acme' }],
				],
			},
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
