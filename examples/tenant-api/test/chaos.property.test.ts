import { ScanCommand } from '@aws-sdk/client-dynamodb'
import {
	type Fault,
	httpApiEvent,
	type LocalStack,
	lambdaContext,
	type SigningKey,
	tenantLookAlikes,
} from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
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
const unhandled: unknown[] = []
const recordUnhandled = (reason: unknown) => unhandled.push(reason)

beforeAll(async () => {
	process.on('unhandledRejection', recordUnhandled)
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 1_000_000 }))
	// Published after the cold start's JWKS prefetch: tokens it signs have a kid the cache does not
	// know yet, so they make the middleware refetch (at most once per `cooldownMs`).
	rotatedKey = await stack.identityProvider.createKey('RS256')
	// Only Date: the steps move the clock past backoff windows; the SDK's timers stay real.
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

/** Failures of a service that is down or slow: each is a 503 wherever it reaches the client. */
const outageArb: fc.Arbitrary<Fault> = fc.oneof(
	fc.constantFrom<Fault>(
		{ type: 'throttle' },
		{ type: 'server-error' },
		{ type: 'malformed' },
		{ type: 'down' },
		{ type: 'respond', status: 503, body: 'busy' },
	),
	// Slow, within every client's timeout: a later, correct answer.
	fc.integer({ min: 10, max: 150 }).map((ms): Fault => ({ type: 'delay', ms })),
)
/**
 * Refusals as well, where the project makes them outages too: STS (`AccessDenied` is a 503), the
 * JWKS (anything but 200) and the rate-limit counter (any store error lets the request through).
 * On the items the README makes access denied and a missing table the request's own errors,
 * 500s (a misconfiguration, not an outage), so they are left out there.
 */
const refusalArb = fc.constantFrom<Fault>({ type: 'access-denied' }, { type: 'not-found' })

/**
 * Answers that are no answer: a huge body, an empty 200, a 400 that is not JSON, a redirect. Where
 * the project makes them outages (the JWKS: anything but a readable 200; STS; the rate-limit
 * and replay stores, whose every failure is handled). Not on a tenant client's items (its README
 * counts only unreadable 2xx as outages: a 3xx or an unreadable 4xx stays the SDK's error, a 500)
 * nor as a tenant's secret (a 200 without a JSON SecretString is a malformed secret: 500,
 * `hmac_secret_malformed`).
 */
const unreadableArb = fc.constantFrom<Fault>(
	{ type: 'oversized' },
	{ type: 'respond', status: 200, body: '' },
	{ type: 'respond', status: 400, body: 'not json' },
	{ type: 'respond', status: 302, body: '', headers: { location: 'http://127.0.0.1:9/' } },
)

type Service = 'jwks' | 'sts' | 'GetItem' | 'PutItem' | 'DeleteItem' | 'UpdateItem'
type Step =
	| { kind: 'calls'; calls: Call[] }
	| { kind: 'fault'; service: Service; fault: Fault; times: number | undefined }
	| { kind: 'clear' }
	| { kind: 'advance'; ms: number }
const faultStep = (services: Service[], fault: fc.Arbitrary<Fault>): fc.Arbitrary<Step> =>
	fc.record({
		kind: fc.constant('fault' as const),
		service: fc.constantFrom(...services),
		fault,
		times: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
	})
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
				service,
				fault: { type: 'delay' as const, ms: service === 'UpdateItem' ? 2_100 : 1_100 },
				times,
			})),
	},
	{ weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
	// Past backoff windows (1 to 5 s), past the JWKS's and STS credentials' refresh (10 min), past
	// the credentials' expiry (15 min) and the JWKS's stale window (1 h).
	{
		weight: 2,
		arbitrary: fc
			.constantFrom(300, 1_100, 5_100, 601_000, 901_000, 3_700_000)
			.map((ms) => ({ kind: 'advance' as const, ms })),
	},
)

/** The longest documented backoff: a failed AssumeRole is retried after `retryAfterSec` (5 s). */
const longestBackoffMs = 5_000

/**
 * Until when a dependency may count as down: while a fault may be pending (until cleared), and for
 * the longest documented backoff after; past that, a 503 has no excuse.
 */
let faultedUntil = 0

const injectFault = (step: Extract<Step, { kind: 'fault' }>) => {
	faultedUntil = Number.POSITIVE_INFINITY
	const options = step.times === undefined ? {} : { times: step.times }
	if (step.service === 'jwks')
		stack.identityProvider.faults.inject(step.fault, {
			...options,
			target: '/.well-known/jwks.json',
		})
	else if (step.service === 'sts')
		stack.sts.faults.inject(step.fault, { ...options, target: 'AssumeRole' })
	else stack.dynamodb.faults.inject(step.fault, { ...options, target: step.service })
}
const clearFaults = () => {
	if (faultedUntil > Date.now()) faultedUntil = Date.now() + longestBackoffMs
	stack.identityProvider.faults.clear()
	stack.sts.faults.clear()
	stack.dynamodb.faults.clear()
}

const tokenFor = async (call: Call): Promise<string | undefined> => {
	const claims = { sub: `user@${call.tokenTenant}`, aud: audience, tenant_id: call.tokenTenant }
	// ES256: the key published at start (the JWKS prefetch has it); `sign` would otherwise take
	// the newest RS256 key, the rotated one.
	const sign = (payload: Record<string, unknown>, options: { key?: SigningKey } = {}) =>
		stack.identityProvider.sign(payload, { alg: 'ES256', ...options })
	switch (call.credential) {
		case 'valid':
			return sign(claims)
		case 'rotated-kid':
			return sign(claims, { key: rotatedKey })
		case 'expired':
			return sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 120 })
		case 'forged':
			return sign(claims, {
				key: await stack.identityProvider.createKey('RS256', { publish: false }),
			})
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
const items = async (): Promise<Map<string, string>> => {
	const { Items = [] } = await stack.dynamodb
		.client()
		.send(new ScanCommand({ TableName: tableName }))
	const byKey = new Map<string, string>()
	for (const item of Items) {
		const pk = item.pk?.S ?? ''
		if (!/^TENANT#[^#]*#RATE/.test(pk)) byKey.set(pk, JSON.stringify(item))
	}
	return byKey
}

const keyTenant = (pk: string) => /^TENANT#([^#]*)#/.exec(pk)?.[1]
const pkOf = (input: Record<string, unknown>): string | undefined => {
	const holder = (input.Key ?? input.Item) as { pk?: { S?: string } } | undefined
	return holder?.pk?.S
}

const checkAnswer = (call: Call, response: APIGatewayProxyStructuredResultV2) => {
	const status = response.statusCode ?? 200
	const what = `${JSON.stringify({ ...call, itemId: call.itemId.slice(0, 20) })} → ${status} ${response.body ?? ''}`
	expect((status >= 200 && status < 500) || status === 503, what).toBe(true)
	if (status === 503)
		expect(Date.now() <= faultedUntil, `${what} with no fault since ${faultedUntil}`).toBe(true)
	if (status === 503) expect(Number(response.headers?.['Retry-After']), what).toBeGreaterThan(0)
	if (status === 401) expect(response.headers?.['WWW-Authenticate'], what).toMatch(/^Bearer /)
	if (status < 300) expect(genuine(call.credential), what).toBe(true)
	// No run comes near the limit (a million a day): a 429 is a count misread during a fault.
	expect(status, what).not.toBe(429)
}

const runCalls = async (calls: Call[]) => {
	const before = await items()
	stack.dynamodb.clearRequests()
	const settled = await Promise.allSettled(calls.map(invoke))
	const answers = settled.map((outcome, index) => {
		expect(
			outcome.status,
			`${JSON.stringify(calls[index])} threw ${String((outcome as PromiseRejectedResult).reason)}`,
		).toBe('fulfilled')
		return (outcome as PromiseFulfilledResult<APIGatewayProxyStructuredResultV2>).value
	})
	for (const [index, call] of calls.entries())
		checkAnswer(call, answers[index] as APIGatewayProxyStructuredResultV2)

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
	for (const key of new Set([...before.keys(), ...after.keys()]))
		if (before.get(key) !== after.get(key)) expect(succeeded.has(key), `changed ${key}`).toBe(true)
}

const recovers = async () => {
	clearFaults()
	vi.setSystemTime(Date.now() + longestBackoffMs + 1_000)
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
		const log = vi.mocked(console.error).mock.calls.at(-1)
		expect(response.statusCode, `${tenant} after faults cleared: ${log}`).toBe(404)
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

const seeds = [1, 2, Math.floor(Math.random() * 2 ** 31)]

describe('tenant-api under faults', () => {
	it.each(seeds)('keeps its promises (seed %i)', async (seed) => {
		await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), run), {
			seed,
			numRuns: 16,
		})
	})
})
