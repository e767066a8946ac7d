import type { Fault, LocalStack, SigningKey } from '@tenantry/testing'
import fc from 'fast-check'
import { expect } from 'vitest'
import {
	advanceStep,
	type ChaosStep,
	clearStep,
	describeChaos,
	type FaultStep,
	FaultWindow,
	faultOptions,
	faultStep,
	fulfilled,
	injectJwksFault,
	isPromisedStatus,
	knownTenants as known,
	lastErrorLog,
	outageArb,
	runSteps,
	sharedJwt,
	signer,
	tenantArb,
	useChaosStack,
} from '../../../scripts/chaos-kit.js'
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

useChaosStack(async () => {
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
	return stack
})

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

type Service = 'jwks' | 'GetItem'
type Step = ChaosStep<{ kind: 'calls'; calls: Call[] }, Service>
const stepArb: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 5,
		arbitrary: fc
			.array(callArb, { minLength: 1, maxLength: 3 })
			.map((calls) => ({ kind: 'calls' as const, calls })),
	},
	// Refusals are left out: a DynamoDB one is a documented 500 (a misconfiguration).
	{ weight: 2, arbitrary: faultStep<Service>(['jwks', 'GetItem'], outageArb) },
	// The JWKS answers anything but a readable 200 as an outage: no answer, a refusal, a redirect.
	// Its own set (not `unreadableArb`): a 200 without keys and a 404 are outages on the JWKS only.
	{
		weight: 1,
		arbitrary: faultStep<Service>(
			['jwks'],
			fc.constantFrom<Fault>(
				{ type: 'oversized' },
				{ type: 'respond', status: 200, body: '' },
				{ type: 'respond', status: 200, body: '{"keys":"none"}' },
				{ type: 'not-found' },
				{ type: 'respond', status: 302, body: '', headers: { location: 'http://127.0.0.1:9/' } },
			),
		),
	},
	{ weight: 1, arbitrary: clearStep },
	// Past the JWKS backoff (1 s), the unknown-kid cooldown (30 s), the JWKS's age (10 min) and
	// its stale window (1 h).
	{ weight: 2, arbitrary: advanceStep(300, 1_100, 31_000, 601_000, 3_700_000) },
)

/**
 * Only a JWKS fault excuses a JWKS failure: until cleared, and for `jwks.failureBackoffMs` (1 s)
 * after. (A DynamoDB fault is the downstream's 503, which needs no excuse here.)
 */
const jwksFaulted = new FaultWindow(1_000, 'JWKS fault')

const injectFault = (step: FaultStep<Service>) => {
	if (step.target === 'jwks') jwksFaulted.open()
	if (step.target === 'jwks') injectJwksFault(stack, step)
	else stack.dynamodb.faults.inject(step.fault, { ...faultOptions(step), target: 'GetItem' })
}
const clearFaults = () => {
	jwksFaulted.close()
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
	const sign = signer(stack)
	switch (call.credential) {
		case 'valid':
		case 'rotated-kid':
		case 'expired':
		case 'forged':
			return sharedJwt(stack, call.credential, claims, { rotatedKey, forgedAlg: 'ES256' })
		case 'no-scope':
			return sign({ ...claims, scope: 'profile:write' })
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
		const { statusCode } = fulfilled(outcome, what)
		const said = `${what} → ${statusCode}`
		const genuine = call.credential === 'valid' || call.credential === 'rotated-kid'
		const own = call.pathTenant === '' || call.pathTenant === call.tokenTenant
		if (statusCode === 500) expect(authorizerFailures.length, said).toBeGreaterThan(0)
		else expect(isPromisedStatus(statusCode), said).toBe(true)
		if (statusCode < 300) expect(genuine && own, said).toBe(true)
		if (genuine) entitled.add(call.tokenTenant)
	}
	for (const name of authorizerFailures) {
		expect(name).toMatch(documentedNoDecision)
		if (name.startsWith('ServiceUnavailableError')) jwksFaulted.expectExcused(name)
	}
	for (const request of stack.dynamodb.requests) {
		const pk = (request.input.Key as { pk?: { S?: string } } | undefined)?.pk?.S ?? ''
		const tenant = /^TENANT#([^#]*)#PROFILE#main$/.exec(pk)?.[1]
		expect(tenant !== undefined && entitled.has(tenant), `${request.operation} ${pk}`).toBe(true)
	}
}

const recovers = async () => {
	for (const tenant of known) {
		const token = await tokenFor({ tokenTenant: tenant, pathTenant: '', credential: 'valid' })
		const { statusCode } = await get(tenant, token)
		expect(statusCode, `${tenant} after faults cleared: ${lastErrorLog()}`).toBe(200)
	}
}

const run = (steps: Step[]) =>
	runSteps(steps, {
		act: (step) => runCalls(step.calls),
		inject: injectFault,
		clear: clearFaults,
		window: jwksFaulted,
		recovered: recovers,
	})

describeChaos('tenant-authorizer and its downstream under faults', 'keep their promises', {
	seeds: [1, 2, 3],
	numRuns: 40,
	steps: stepArb,
	run,
})
