import { httpApiEvent, type LocalStack, lambdaContext, type SigningKey } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import { expect } from 'vitest'
import {
	advanceStep,
	type ChaosStep,
	checkAnswer,
	clearStep,
	describeChaos,
	expectChangedOnly,
	type FaultStep,
	FaultWindow,
	faultOptions,
	faultStep,
	fulfilled,
	injectJwksFault,
	itemsByPk,
	keyTenant,
	knownTenants as known,
	lastErrorLog,
	outageArb,
	pkOf,
	refusalArb,
	runSteps,
	sharedJwt,
	signer,
	tenantArb,
	unreadableArb,
	useChaosStack,
} from '../../../scripts/chaos-kit.js'
import { audience, type Handler, startTenantApi, tableName } from './local-tenant-api.js'

/**
 * Fault injection across the whole chain: sequences of requests (valid, expired, forged, another
 * tenant's, look-alike tenants, garbage bodies, several at once) interleaved with faults on every
 * dependency (JWKS, STS, each DynamoDB operation), checked against what the project promises:
 * - every answer is 2xx, 4xx or 503; a 503 carries Retry-After, a 401 WWW-Authenticate; nothing
 *   escapes the handler and nothing rejects unhandled;
 * - a request reaches only its own tenant's keys: items on its tenant's STS session, its rate
 *   counter on the function's credentials; a refused or forged request reaches no tenant's items;
 * - a request answered 4xx or 503 changed no item;
 * - once faults clear and the longest documented backoff has passed (STS: `retryAfterSec`, 5 s;
 *   JWKS and rate-limit: 1 s), a valid request succeeds again.
 */

let stack: LocalStack
let handler: Handler
let rotatedKey: SigningKey

useChaosStack(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 1_000_000 }))
	// Published after the cold start's JWKS prefetch: tokens it signs have a kid the cache does not
	// know yet, so they make the middleware refetch (at most once per `cooldownMs`).
	rotatedKey = await stack.identityProvider.createKey('RS256')
	return stack
})

type Credential =
	| 'valid'
	| 'rotated-kid'
	| 'expired'
	| 'forged'
	| 'wrong-audience'
	| 'garbage'
	| 'none'
	| 'no-tenant'
const credentialArb = fc.oneof(
	{ weight: 6, arbitrary: fc.constant<Credential>('valid') },
	{
		weight: 4,
		arbitrary: fc.constantFrom<Credential>(
			'rotated-kid',
			'expired',
			'forged',
			'wrong-audience',
			'garbage',
			'none',
			'no-tenant',
		),
	},
)
const genuine = (credential: Credential) => credential === 'valid' || credential === 'rotated-kid'

interface Call {
	tokenTenant: string
	pathTenant: string
	credential: Credential
	method: 'GET' | 'PUT' | 'DELETE'
	itemId: string
	body: 'object' | 'array' | 'garbage' | 'none'
}
const callArb: fc.Arbitrary<Call> = fc.record({
	tokenTenant: tenantArb,
	pathTenant: fc.oneof(
		{ weight: 3, arbitrary: fc.constant('') },
		{ weight: 1, arbitrary: tenantArb },
	),
	credential: credentialArb,
	method: fc.constantFrom('GET', 'PUT', 'DELETE'),
	itemId: fc.oneof(
		{ weight: 4, arbitrary: fc.constantFrom('1', '2') },
		{ weight: 1, arbitrary: fc.constantFrom('x#TENANT#globex', 'x'.repeat(1_100)) },
	),
	body: fc.oneof(
		{ weight: 3, arbitrary: fc.constant<Call['body']>('object') },
		{ weight: 1, arbitrary: fc.constantFrom<Call['body']>('array', 'garbage', 'none') },
	),
})

// Refusals and unreadable answers (`refusalArb`, `unreadableArb`) are outages too on STS
// (`AccessDenied` is a 503), the JWKS (anything but a readable 200) and the rate-limit counter
// (any store error lets the request through); not on the items (GetItem, PutItem, DeleteItem),
// where the README makes them 500s.
type Service = 'jwks' | 'sts' | 'GetItem' | 'PutItem' | 'DeleteItem' | 'UpdateItem'
type Step = ChaosStep<{ kind: 'calls'; calls: Call[] }, Service>
const stepArb: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 5,
		arbitrary: fc
			.array(callArb, { minLength: 1, maxLength: 3 })
			.map((calls) => ({ kind: 'calls' as const, calls })),
	},
	{
		weight: 2,
		arbitrary: faultStep(
			['jwks', 'sts', 'GetItem', 'PutItem', 'DeleteItem', 'UpdateItem'],
			outageArb,
		),
	},
	{ weight: 1, arbitrary: faultStep(['jwks', 'sts', 'UpdateItem'], refusalArb) },
	{ weight: 1, arbitrary: faultStep(['jwks', 'sts', 'UpdateItem'], unreadableArb) },
	// A dependency that does not answer within the client's timeout (1 s; the rate-limit count
	// 2 s), once or twice: each costs seconds, so rarely.
	{
		weight: 1,
		arbitrary: fc
			.record({
				service: fc.constantFrom<Service>('sts', 'GetItem', 'PutItem', 'DeleteItem', 'UpdateItem'),
				times: fc.integer({ min: 1, max: 2 }),
			})
			.map(({ service, times }) => ({
				kind: 'fault' as const,
				target: service,
				fault: { type: 'delay' as const, ms: service === 'UpdateItem' ? 2_100 : 1_100 },
				times,
			})),
	},
	{ weight: 1, arbitrary: clearStep },
	// Past backoff windows (1 to 5 s), past the JWKS's and STS credentials' refresh (10 min), past
	// the credentials' expiry (15 min) and the JWKS's stale window (1 h).
	{ weight: 2, arbitrary: advanceStep(300, 1_100, 5_100, 601_000, 901_000, 3_700_000) },
)

/**
 * Any fault excuses a 503 until cleared and for the longest documented backoff after: a failed
 * AssumeRole is retried after `retryAfterSec` (5 s).
 */
const faulted = new FaultWindow(5_000)

const injectFault = (step: FaultStep<Service>) => {
	faulted.open()
	const options = faultOptions(step)
	if (step.target === 'jwks') injectJwksFault(stack, step)
	else if (step.target === 'sts')
		stack.sts.faults.inject(step.fault, { ...options, target: 'AssumeRole' })
	else stack.dynamodb.faults.inject(step.fault, { ...options, target: step.target })
}
const clearFaults = () => {
	faulted.close()
	stack.identityProvider.faults.clear()
	stack.sts.faults.clear()
	stack.dynamodb.faults.clear()
}

const tokenFor = async (call: Call): Promise<string | undefined> => {
	const claims = { sub: `user@${call.tokenTenant}`, aud: audience, tenant_id: call.tokenTenant }
	const sign = signer(stack)
	switch (call.credential) {
		case 'valid':
		case 'rotated-kid':
		case 'expired':
		case 'forged':
			return sharedJwt(stack, call.credential, claims, { rotatedKey, forgedAlg: 'RS256' })
		case 'wrong-audience':
			return sign({ ...claims, aud: 'another-api' })
		case 'no-tenant':
			return sign({ sub: 'user', aud: audience })
		case 'garbage':
			return 'not.a.jwt'
		case 'none':
			return undefined
	}
}

const bodyOf = (call: Call): Record<string, string> & { body?: string } => {
	if (call.method !== 'PUT' || call.body === 'none') return {}
	const text = call.body === 'object' ? '{"n":1}' : call.body === 'array' ? '[1]' : '{"n":'
	return { 'content-type': 'application/json', body: text }
}

const invoke = async (call: Call): Promise<APIGatewayProxyStructuredResultV2> => {
	const token = await tokenFor(call)
	const tenantId = call.pathTenant || call.tokenTenant
	const { body, ...headers } = bodyOf(call)
	const event = httpApiEvent({
		method: call.method,
		path: `/tenants/${encodeURIComponent(tenantId)}/items/${encodeURIComponent(call.itemId)}`,
		pathParameters: { tenantId, itemId: call.itemId },
		headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
		...(body === undefined ? {} : { body }),
	})
	// An error escaping the handler is a Lambda failure, which API Gateway answers 500.
	return (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2
}

/** The items (rate-limit counters left out: they count refused requests too, by design). */
const items = () => itemsByPk(stack, tableName, (pk) => !/^TENANT#[^#]*#RATE/.test(pk))

const checkCall = (call: Call, response: APIGatewayProxyStructuredResultV2) => {
	const { status, said } = checkAnswer(
		JSON.stringify({ ...call, itemId: call.itemId.slice(0, 20) }),
		response,
		{ window: faulted, scheme: /^Bearer /, vouched: genuine(call.credential) },
	)
	// No run comes near the limit (a million a day): a 429 is a count misread during a fault.
	expect(status, said).not.toBe(429)
}

const runCalls = async (calls: Call[]) => {
	const before = await items()
	stack.dynamodb.clearRequests()
	const settled = await Promise.allSettled(calls.map(invoke))
	const answers = settled.map((outcome, index) => fulfilled(outcome, JSON.stringify(calls[index])))
	for (const [index, call] of calls.entries())
		checkCall(call, answers[index] as APIGatewayProxyStructuredResultV2)

	// Whose keys the batch reached: a tenant session only its tenant's items, the function's own
	// credentials only rate counters; any of them only of a tenant a genuine token of the batch named.
	const vouched = new Set(
		calls.filter((call) => genuine(call.credential)).map((call) => call.tokenTenant),
	)
	for (const request of stack.dynamodb.requests) {
		const pk = pkOf(request.input)
		if (pk === undefined) continue
		const tenant = keyTenant(pk)
		const session = stack.sts.callForAccessKey(request.accessKeyId)
		const where = `${request.operation} ${pk} by ${session?.tags.tenant_id ?? 'function'}`
		expect(tenant !== undefined && vouched.has(tenant), where).toBe(true)
		if (session) {
			expect(session.tags.tenant_id, where).toBe(tenant)
			expect(pk.startsWith(`TENANT#${tenant}#ITEM#`), where).toBe(true)
		} else expect(pk.startsWith(`TENANT#${tenant}#RATE`), where).toBe(true)
	}

	// Items changed only under the key of a request that succeeded.
	const after = await items()
	const succeeded = new Set(
		calls
			.filter((_, index) => (answers[index]?.statusCode ?? 200) < 300)
			.map((call) => `TENANT#${call.tokenTenant}#ITEM#${call.itemId}`),
	)
	expectChangedOnly(before, after, succeeded)
}

const recovers = async () => {
	for (const tenant of known) {
		const call: Call = {
			tokenTenant: tenant,
			pathTenant: '',
			credential: 'valid',
			method: 'GET',
			itemId: 'probe',
			body: 'none',
		}
		const response = await invoke(call)
		expect(response.statusCode, `${tenant} after faults cleared: ${lastErrorLog()}`).toBe(404)
	}
}

const run = (steps: Step[]) =>
	runSteps(steps, {
		act: (step) => runCalls(step.calls),
		inject: injectFault,
		clear: clearFaults,
		window: faulted,
		recovered: recovers,
	})

describeChaos('tenant-api under faults', 'keeps its promises', {
	seeds: [1, 2],
	numRuns: 16,
	steps: stepArb,
	run,
})
