import { type Fault, type LocalStack, type SigningKey, tenantLookAlikes } from '@tenantry/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type GatewayAnswer, localHttpApi } from './local-http-api.js'
import { type Authorize, audience, startTenantAuthorizer } from './local-tenant-authorizer.js'

/**
 * Fault injection across the authorizer and its downstream function, through the HTTP API the
 * template declares: sequences of requests (valid, expired, forged, rotated-in key, no tenant, no
 * scope; another tenant's or a look-alike path; several at once) interleaved with faults on the
 * JWKS and DynamoDB, checked against what the README promises:
 * - the downstream function answers 2xx, 4xx or 503, never a 500 and never throws; the only 500s
 *   are the authorizer's documented "no decision yet" (JWKS unreachable, a kid not refetched
 *   yet, a token not valid yet), which API Gateway does not cache;
 * - a 200 only for a genuine token with the scope, on its own tenant's path; DynamoDB sees only
 *   that tenant's profile key; nothing rejects unhandled;
 * - once faults clear and the JWKS backoff (1 s) has passed, a valid request gets 200 again.
 */

let stack: LocalStack
let get: (tenant: string, token: string | undefined) => Promise<GatewayAnswer>
let rotatedKey: SigningKey
/** The name of each error the authorizer function threw (API Gateway answers them 500). */
const authorizerFailures: string[] = []
const unhandled: unknown[] = []
const recordUnhandled = (reason: unknown) => unhandled.push(reason)

beforeAll(async () => {
	process.on('unhandledRejection', recordUnhandled)
	const started = await startTenantAuthorizer()
	stack = started.stack
	const authorize: Authorize = async (event, context) => {
		try {
			return await started.authorize(event, context)
		} catch (error) {
			const code = (error as { cause?: { code?: unknown } }).cause?.code
			authorizerFailures.push(
				`${error instanceof Error ? error.name : String(error)} ${String(code)}`,
			)
			throw error
		}
	}
	// The gateway's decision cache reads the faked clock too.
	const gateway = localHttpApi(authorize, started.downstream, () => Date.now())
	get = (tenant, token) =>
		gateway({
			method: 'GET',
			path: `/tenants/${encodeURIComponent(tenant)}/profile`,
			pathParameters: { tenantId: tenant },
			headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
		})
	// Published after the cold start's JWKS prefetch: an unknown kid until a refetch is due.
	rotatedKey = await stack.identityProvider.createKey('RS256')
	vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
})
afterAll(async () => {
	vi.useRealTimers()
	await stack.stop()
	process.off('unhandledRejection', recordUnhandled)
})

const known = ['acme', 'globex'] as const
const tenantArb = fc.oneof(
	{ weight: 4, arbitrary: fc.constantFrom(...known) },
	{ weight: 1, arbitrary: fc.constantFrom('initech', ...tenantLookAlikes('acme')) },
)
type Credential = 'valid' | 'rotated-kid' | 'no-scope' | 'expired' | 'forged' | 'no-tenant' | 'none'
interface Call {
	tokenTenant: string
	pathTenant: string
	credential: Credential
}
const callArb: fc.Arbitrary<Call> = fc.record({
	tokenTenant: tenantArb,
	pathTenant: fc.oneof(
		{ weight: 3, arbitrary: fc.constant('') },
		{ weight: 1, arbitrary: tenantArb },
	),
	credential: fc.oneof(
		{ weight: 5, arbitrary: fc.constant<Credential>('valid') },
		{
			weight: 4,
			arbitrary: fc.constantFrom<Credential>(
				'rotated-kid',
				'no-scope',
				'expired',
				'forged',
				'no-tenant',
				'none',
			),
		},
	),
})

const outageArb: fc.Arbitrary<Fault> = fc.oneof(
	fc.constantFrom<Fault>(
		{ type: 'throttle' },
		{ type: 'server-error' },
		{ type: 'malformed' },
		{ type: 'down' },
		{ type: 'respond', status: 503, body: 'busy' },
	),
	fc.integer({ min: 10, max: 150 }).map((ms): Fault => ({ type: 'delay', ms })),
)
type Step =
	| { kind: 'calls'; calls: Call[] }
	| { kind: 'fault'; service: 'jwks' | 'GetItem'; fault: Fault; times: number | undefined }
	| { kind: 'clear' }
	| { kind: 'advance'; ms: number }
const stepArb: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 5,
		arbitrary: fc
			.array(callArb, { minLength: 1, maxLength: 3 })
			.map((calls) => ({ kind: 'calls' as const, calls })),
	},
	{
		weight: 2,
		arbitrary: fc.record({
			kind: fc.constant('fault' as const),
			service: fc.constantFrom('jwks' as const, 'GetItem' as const),
			// Refusals are left out: a DynamoDB one is a documented 500 (a misconfiguration).
			fault: outageArb,
			times: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
		}),
	},
	// The JWKS answers anything but a readable 200 as an outage: no answer, a refusal, a redirect.
	{
		weight: 1,
		arbitrary: fc.record({
			kind: fc.constant('fault' as const),
			service: fc.constant('jwks' as const),
			fault: fc.constantFrom<Fault>(
				{ type: 'oversized' },
				{ type: 'respond', status: 200, body: '' },
				{ type: 'respond', status: 200, body: '{"keys":"none"}' },
				{ type: 'not-found' },
				{ type: 'respond', status: 302, body: '', headers: { location: 'http://127.0.0.1:9/' } },
			),
			times: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
		}),
	},
	{ weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
	// Past the JWKS backoff (1 s), the unknown-kid cooldown (30 s), the JWKS's age (10 min) and
	// its stale window (1 h).
	{
		weight: 2,
		arbitrary: fc
			.constantFrom(300, 1_100, 31_000, 601_000, 3_700_000)
			.map((ms) => ({ kind: 'advance' as const, ms })),
	},
)

/**
 * Until when the JWKS may count as down: while a fault on it may be pending (until cleared), and
 * for `jwks.failureBackoffMs` (1 s) after; past that, a JWKS failure has no excuse.
 */
let jwksFaultedUntil = 0
const jwksBackoffMs = 1_000

const injectFault = (step: Extract<Step, { kind: 'fault' }>) => {
	if (step.service === 'jwks') jwksFaultedUntil = Number.POSITIVE_INFINITY
	const options = step.times === undefined ? {} : { times: step.times }
	if (step.service === 'jwks')
		stack.identityProvider.faults.inject(step.fault, {
			...options,
			target: '/.well-known/jwks.json',
		})
	else stack.dynamodb.faults.inject(step.fault, { ...options, target: 'GetItem' })
}
const clearFaults = () => {
	if (jwksFaultedUntil > Date.now()) jwksFaultedUntil = Date.now() + jwksBackoffMs
	stack.identityProvider.faults.clear()
	stack.dynamodb.faults.clear()
}

const tokenFor = async (call: Call): Promise<string | undefined> => {
	const claims = {
		sub: `user@${call.tokenTenant}`,
		aud: audience,
		scope: 'profile:read',
		tenant_id: call.tokenTenant,
	}
	// ES256: the key published at start; `sign` would otherwise take the newest RS256, the rotated one.
	const sign = (payload: Record<string, unknown>, options: { key?: SigningKey } = {}) =>
		stack.identityProvider.sign(payload, { alg: 'ES256', ...options })
	switch (call.credential) {
		case 'valid':
			return sign(claims)
		case 'rotated-kid':
			return sign(claims, { key: rotatedKey })
		case 'no-scope':
			return sign({ ...claims, scope: 'profile:write' })
		case 'expired':
			return sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 120 })
		case 'forged':
			return sign(claims, {
				key: await stack.identityProvider.createKey('ES256', { publish: false }),
			})
		case 'no-tenant':
			return sign({ sub: 'user', aud: audience, scope: 'profile:read' })
		case 'none':
			return undefined
	}
}

/**
 * The authorizer's documented failures, which API Gateway answers 500 without caching: the JWKS
 * unreachable (jwtAuth's 503, kept an error), a kid not refetched yet, a token not valid yet.
 */
const documentedNoDecision =
	/^(ServiceUnavailableError jwks_\w+|NoDecisionYetError (jwt_unknown_kid|jwt_not_yet_valid|jwt_iat_future))$/

const runCalls = async (calls: Call[]) => {
	stack.dynamodb.clearRequests()
	authorizerFailures.length = 0
	const tokens = await Promise.all(calls.map(tokenFor))
	const settled = await Promise.allSettled(
		calls.map((call, index) => get(call.pathTenant || call.tokenTenant, tokens[index])),
	)
	const entitled = new Set<string>()
	for (const [index, outcome] of settled.entries()) {
		const call = calls[index] as Call
		const what = JSON.stringify(call)
		expect(
			outcome.status,
			`${what} threw ${String((outcome as PromiseRejectedResult).reason)}`,
		).toBe('fulfilled')
		const { statusCode } = (outcome as PromiseFulfilledResult<GatewayAnswer>).value
		const said = `${what} → ${statusCode}`
		const genuine = call.credential === 'valid' || call.credential === 'rotated-kid'
		const own = call.pathTenant === '' || call.pathTenant === call.tokenTenant
		if (statusCode === 500) expect(authorizerFailures.length, said).toBeGreaterThan(0)
		else expect((statusCode >= 200 && statusCode < 500) || statusCode === 503, said).toBe(true)
		if (statusCode < 300) expect(genuine && own, said).toBe(true)
		if (genuine) entitled.add(call.tokenTenant)
	}
	for (const name of authorizerFailures) {
		expect(name).toMatch(documentedNoDecision)
		if (name.startsWith('ServiceUnavailableError'))
			expect(
				Date.now() <= jwksFaultedUntil,
				`${name} with no JWKS fault since ${jwksFaultedUntil}`,
			).toBe(true)
	}
	for (const request of stack.dynamodb.requests) {
		const pk = (request.input.Key as { pk?: { S?: string } } | undefined)?.pk?.S ?? ''
		const tenant = /^TENANT#([^#]*)#PROFILE#main$/.exec(pk)?.[1]
		expect(tenant !== undefined && entitled.has(tenant), `${request.operation} ${pk}`).toBe(true)
	}
}

const recovers = async () => {
	clearFaults()
	vi.setSystemTime(Date.now() + 2_000)
	for (const tenant of known) {
		const token = await tokenFor({ tokenTenant: tenant, pathTenant: '', credential: 'valid' })
		const { statusCode } = await get(tenant, token)
		const log = vi.mocked(console.error).mock.calls.at(-1)
		expect(statusCode, `${tenant} after faults cleared: ${log}`).toBe(200)
	}
}

const run = async (steps: Step[]) => {
	try {
		for (const step of steps) {
			if (step.kind === 'calls') await runCalls(step.calls)
			else if (step.kind === 'fault') injectFault(step)
			else if (step.kind === 'clear') clearFaults()
			else vi.setSystemTime(Date.now() + step.ms)
		}
		await recovers()
		await new Promise((resolve) => setImmediate(resolve))
		expect(unhandled).toEqual([])
	} finally {
		clearFaults()
	}
}

const seeds = [1, 2, 3, Math.floor(Math.random() * 2 ** 31)]

describe('tenant-authorizer and its downstream under faults', () => {
	it.each(seeds)('keep their promises (seed %i)', async (seed) => {
		await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), run), {
			seed,
			numRuns: 40,
		})
	})
})
