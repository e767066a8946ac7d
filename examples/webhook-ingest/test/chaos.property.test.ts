import { ScanCommand } from '@aws-sdk/client-dynamodb'
import { type Fault, type LocalStack, lambdaContext, tenantLookAlikes } from '@tenantry/testing'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
	eventsTable,
	type Handler,
	pseudonymKeySecretId,
	signedDelivery,
	startWebhookIngest,
} from './local-webhook-ingest.js'

/**
 * Fault injection across the whole chain: sequences of deliveries (signed by known, unknown and
 * look-alike tenants; forged, stale, replayed; naming another tenant; garbage bodies; several at
 * once) interleaved with faults on every dependency (each tenant's secret and the pseudonym key in
 * Secrets Manager, the replay table, the events table), checked against what the project promises:
 * - every answer is 2xx, 4xx or 503; a 503 carries Retry-After, a 401 WWW-Authenticate; nothing
 *   escapes the handler and nothing rejects unhandled;
 * - a delivery reaches only keys of the tenant whose secret signed it (replay claim, event);
 *   one whose signature does not verify reaches none;
 * - a delivery answered 4xx or 503 stored no event;
 * - once faults clear and the longest documented window has passed (a remembered "not found" is
 *   re-checked after `refetchGraceMs`, 5 s; fetch backoff 1 s), a fresh delivery is stored again.
 */

const secrets = { acme: 'acme-secret', globex: 'globex-secret' }
const known = ['acme', 'globex'] as const
const replayTable = 'webhook-replay'

let stack: LocalStack
let handler: Handler
const unhandled: unknown[] = []
const recordUnhandled = (reason: unknown) => unhandled.push(reason)

beforeAll(async () => {
	process.on('unhandledRejection', recordUnhandled)
	;({ stack, handler } = await startWebhookIngest(secrets))
	// Only Date: steps move the clock past backoff windows and timestamps' tolerance; the SDK's
	// timers stay real.
	vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
})
afterAll(async () => {
	vi.useRealTimers()
	await stack.stop()
	process.off('unhandledRejection', recordUnhandled)
})

const tenantArb = fc.oneof(
	{ weight: 4, arbitrary: fc.constantFrom(...known) },
	{ weight: 1, arbitrary: fc.constantFrom('initech', ...tenantLookAlikes('acme')) },
)

type Credential = 'valid' | 'replay' | 'stale' | 'forged' | 'header-mismatch' | 'garbage' | 'none'
const credentialArb = fc.oneof(
	{ weight: 5, arbitrary: fc.constant<Credential>('valid') },
	{
		weight: 4,
		arbitrary: fc.constantFrom<Credential>(
			'replay',
			'stale',
			'forged',
			'header-mismatch',
			'garbage',
			'none',
		),
	},
)

type Body = 'webhook' | 'names-other-tenant' | 'not-a-webhook' | 'garbage' | 'inexact-number'
interface Delivery {
	signer: string
	credential: Credential
	eventId: string
	body: Body
	/** Which earlier delivery a replay re-sends (modulo how many there were). */
	replayOf: number
}
const deliveryArb: fc.Arbitrary<Delivery> = fc.record({
	signer: tenantArb,
	credential: credentialArb,
	eventId: fc.constantFrom('e1', 'e2', 'e3'),
	body: fc.oneof(
		{ weight: 4, arbitrary: fc.constant<Body>('webhook') },
		{
			weight: 1,
			arbitrary: fc.constantFrom<Body>(
				'names-other-tenant',
				'not-a-webhook',
				'garbage',
				'inexact-number',
			),
		},
	),
	replayOf: fc.nat(),
})

/** Failures of a service that is down or slow. */
const outageArb: fc.Arbitrary<Fault> = fc.oneof(
	fc.constantFrom<Fault>(
		{ type: 'throttle' },
		{ type: 'server-error' },
		{ type: 'malformed' },
		{ type: 'down' },
		{ type: 'respond', status: 503, body: 'busy' },
	),
	// Slow, within every client's 1 s timeout: a later, correct answer.
	fc.integer({ min: 10, max: 150 }).map((ms): Fault => ({ type: 'delay', ms })),
)
/**
 * Refusals too where the project makes them outages or unknown tenants: Secrets Manager (not
 * found: an unknown tenant, 401; anything else a 503) and the replay store. On the events table
 * the README makes access denied and a missing table the request's own errors (500s, a
 * misconfiguration), so they are left out there.
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

type Target = `tenants/${string}` | typeof pseudonymKeySecretId | 'UpdateItem' | 'PutItem'
type Step =
	| { kind: 'deliveries'; deliveries: Delivery[] }
	| { kind: 'fault'; target: Target; fault: Fault; times: number | undefined }
	| { kind: 'clear' }
	| { kind: 'advance'; ms: number }
const secretTargets: Target[] = [
	'tenants/acme',
	'tenants/globex',
	'tenants/initech',
	pseudonymKeySecretId,
]
const faultStep = (targets: Target[], fault: fc.Arbitrary<Fault>): fc.Arbitrary<Step> =>
	fc.record({
		kind: fc.constant('fault' as const),
		target: fc.constantFrom(...targets),
		fault,
		times: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
	})
const stepArb: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 5,
		arbitrary: fc
			.array(deliveryArb, { minLength: 1, maxLength: 3 })
			.map((deliveries) => ({ kind: 'deliveries' as const, deliveries })),
	},
	{ weight: 2, arbitrary: faultStep([...secretTargets, 'UpdateItem', 'PutItem'], outageArb) },
	{ weight: 1, arbitrary: faultStep([...secretTargets, 'UpdateItem'], refusalArb) },
	{ weight: 1, arbitrary: faultStep(['UpdateItem'], unreadableArb) },
	// A secret's fetch answered with a non-JSON 400 or a redirect is an outage all the same.
	{
		weight: 1,
		arbitrary: faultStep(
			secretTargets,
			fc.constantFrom<Fault>(
				{ type: 'respond', status: 400, body: 'not json' },
				{ type: 'respond', status: 302, body: '', headers: { location: 'http://127.0.0.1:9/' } },
			),
		),
	},
	// A dependency that does not answer within the clients' 1 s timeout, once or twice: each
	// costs seconds, so rarely.
	{
		weight: 1,
		arbitrary: fc.record({
			kind: fc.constant('fault' as const),
			target: fc.constantFrom<Target>(...secretTargets, 'UpdateItem', 'PutItem'),
			fault: fc.constant<Fault>({ type: 'delay', ms: 1_100 }),
			times: fc.integer({ min: 1, max: 2 }),
		}),
	},
	{ weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
	// Past backoff windows (1 s), `refetchGraceMs` (5 s), the secrets' TTL (5 min) and the
	// timestamps' tolerance (5 min), and the secrets' stale window (1 h).
	{
		weight: 2,
		arbitrary: fc
			.constantFrom(300, 1_100, 5_100, 301_000, 3_700_000)
			.map((ms) => ({ kind: 'advance' as const, ms })),
	},
)

/** The longest documented window: a remembered "not found" is re-checked after 5 s. */
const longestWindowMs = 5_000

/**
 * Until when a dependency may count as down: while a fault may be pending (until cleared), and for
 * the longest documented backoff after; past that, a 503 has no excuse.
 */
let faultedUntil = 0

const injectFault = (step: Extract<Step, { kind: 'fault' }>) => {
	faultedUntil = Number.POSITIVE_INFINITY
	if (step.target === 'UpdateItem') replayTableFaulted = true
	if (step.target === 'PutItem' || step.target === pseudonymKeySecretId) laterFaulted = true
	const options = {
		target: step.target,
		...(step.times === undefined ? {} : { times: step.times }),
	}
	if (step.target === 'UpdateItem' || step.target === 'PutItem')
		stack.dynamodb.faults.inject(step.fault, options)
	else stack.secretsManager.faults.inject(step.fault, options)
}
const clearFaults = () => {
	replayTableFaulted = false
	laterFaulted = false
	if (faultedUntil > Date.now()) faultedUntil = Date.now() + longestWindowMs
	stack.secretsManager.faults.clear()
	stack.dynamodb.faults.clear()
}

const bodyOf = (delivery: Delivery): string => {
	const webhook = {
		id: delivery.eventId,
		type: 'invoice.paid',
		data: { email: 'Jane@Example.com' },
	}
	switch (delivery.body) {
		case 'webhook':
			return JSON.stringify(webhook)
		case 'names-other-tenant':
			return JSON.stringify({
				...webhook,
				tenantId: delivery.signer === 'acme' ? 'globex' : 'acme',
			})
		case 'not-a-webhook':
			return '{"hello":"world"}'
		case 'garbage':
			return '{"id":'
		case 'inexact-number':
			return `{"id":"${delivery.eventId}","type":"t","data":{"n":9007199254740993}}`
	}
}

/** A delivery as sent, and the tenant whose own secret signed it, if one did. */
interface Sent {
	event: APIGatewayProxyEventV2
	vouchedBy: string | undefined
	/** What its body is, for the retry check: only a storable webhook is stored on its retry. */
	body: Body
}

/** Every delivery sent in this run, for replays: an exact copy of one goes out again. */
let sent: Sent[] = []

/**
 * `signRequest` refuses to sign as a tenant id that is not one (a look-alike with a space, `#`,
 * `%`): those are sent with `x-tenant-id` naming the look-alike, over acme's secret.
 */
const signed = (
	signer: string,
	secret: string,
	body: string,
	options: { timestamp?: Date; tenantHeader?: string } = {},
): APIGatewayProxyEventV2 =>
	/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(signer)
		? signedDelivery(signer, secret, body, options)
		: signedDelivery('acme', secrets.acme, body, { ...options, tenantHeader: signer })

const send = (delivery: Delivery): Sent => {
	if (delivery.credential === 'replay') {
		const earlier = sent[delivery.replayOf % Math.max(1, sent.length)]
		if (earlier) return { ...earlier, event: structuredClone(earlier.event) }
	}
	const event = eventOf(delivery)
	const header = event.headers['x-tenant-id'] ?? ''
	const genuine =
		(delivery.credential === 'valid' || delivery.credential === 'replay') &&
		header === delivery.signer &&
		header in secrets
	return { event, vouchedBy: genuine ? header : undefined, body: delivery.body }
}

const eventOf = (delivery: Delivery): APIGatewayProxyEventV2 => {
	const secret = secrets[delivery.signer as keyof typeof secrets] ?? 'no-such-secret'
	const body = bodyOf(delivery)
	const signedDelivery = signed
	switch (delivery.credential) {
		case 'stale':
			return signedDelivery(delivery.signer, secret, body, {
				timestamp: new Date(Date.now() - 400_000),
			})
		case 'forged':
			return signedDelivery(delivery.signer, `${secret}-forged`, body)
		case 'header-mismatch':
			return signedDelivery(delivery.signer, secret, body, {
				tenantHeader: delivery.signer === 'acme' ? 'globex' : 'acme',
			})
		case 'garbage': {
			const event = signedDelivery(delivery.signer, secret, body)
			event.headers['x-signature'] = 'zz'
			return event
		}
		case 'none': {
			const event = signedDelivery(delivery.signer, secret, body)
			delete event.headers['x-signature']
			return event
		}
		case 'valid':
		case 'replay':
			return signedDelivery(delivery.signer, secret, body)
	}
}

const events = async (): Promise<Map<string, string>> => {
	const { Items = [] } = await stack.dynamodb
		.client()
		.send(new ScanCommand({ TableName: eventsTable }))
	return new Map(Items.map((item) => [item.pk?.S ?? '', JSON.stringify(item)]))
}

const keyTenant = (pk: string) => /^TENANT#([^#]*)#/.exec(pk)?.[1]
const pkOf = (input: Record<string, unknown>): string | undefined => {
	const holder = (input.Key ?? input.Item) as { pk?: { S?: string } } | undefined
	return holder?.pk?.S
}

const checkAnswer = (
	what: string,
	response: APIGatewayProxyStructuredResultV2,
	vouched: boolean,
) => {
	const status = response.statusCode ?? 200
	const said = `${what} → ${status} ${response.body ?? ''}`
	expect((status >= 200 && status < 500) || status === 503, said).toBe(true)
	if (status === 503)
		expect(Date.now() <= faultedUntil, `${said} with no fault since ${faultedUntil}`).toBe(true)
	if (status === 503) expect(Number(response.headers?.['Retry-After']), said).toBeGreaterThan(0)
	if (status === 401) expect(response.headers?.['WWW-Authenticate'], said).toMatch(/^HMAC /)
	if (status < 300) expect(vouched, said).toBe(true)
}

const runDeliveries = async (deliveries: Delivery[]) => {
	const before = await events()
	stack.dynamodb.clearRequests()
	const sending = deliveries.map((delivery) => ({ delivery, ...send(delivery) }))
	sent.push(
		...sending.map(({ delivery: _, ...copy }) => ({ ...copy, event: structuredClone(copy.event) })),
	)
	const settled = await Promise.allSettled(
		sending.map(({ event }) => handler(structuredClone(event), lambdaContext())),
	)
	const vouched = new Set<string>()
	const stored = new Set<string>()
	for (const [index, outcome] of settled.entries()) {
		const { delivery, event, vouchedBy: tenant } = sending[index] as (typeof sending)[number]
		const what = JSON.stringify(delivery)
		expect(
			outcome.status,
			`${what} threw ${String((outcome as PromiseRejectedResult).reason)}`,
		).toBe('fulfilled')
		const response = (outcome as PromiseFulfilledResult<APIGatewayProxyStructuredResultV2>).value
		checkAnswer(what, response, tenant !== undefined)
		if (tenant !== undefined) vouched.add(tenant)
		answered(sending[index] as Sent, response.statusCode ?? 200)
		if (tenant !== undefined && (response.statusCode ?? 200) < 300)
			stored.add(`TENANT#${tenant}#EVENT#${JSON.parse(event.body ?? '{}').id}`)
	}

	// Every key the batch reached belongs to a tenant whose secret signed one of its deliveries.
	for (const request of stack.dynamodb.requests) {
		const pk = pkOf(request.input)
		if (pk === undefined) continue
		const tenant = keyTenant(pk) ?? ''
		expect(vouched.has(tenant), `${request.operation} ${request.input.TableName} ${pk}`).toBe(true)
		if (request.input.TableName === eventsTable) expect(pk).toMatch(/^TENANT#[^#]+#EVENT#/)
		else expect(request.input.TableName).toBe(replayTable)
	}

	// Events changed only under the key of a delivery that was accepted.
	const after = await events()
	for (const key of new Set([...before.keys(), ...after.keys()]))
		if (before.get(key) !== after.get(key)) expect(stored.has(key), `changed ${key}`).toBe(true)
}

/**
 * The answers each identical delivery got in this run (a replay is the same request), with a
 * copy of it, for the retry check.
 */
let answers = new Map<string, { copy: Sent; statuses: number[]; releaseMayFail: boolean }>()
const identity = ({ event }: Sent) =>
	[event.headers['x-tenant-id'], event.headers['x-timestamp'], event.body].join('\n')
const answered = (delivery: Sent, status: number) => {
	const key = identity(delivery)
	const entry = answers.get(key) ?? { copy: delivery, statuses: [], releaseMayFail: false }
	entry.statuses.push(status)
	entry.releaseMayFail ||= replayTableFaulted && laterFaulted
	answers.set(key, entry)
}
/**
 * Faults pending (until cleared) on the replay table and after the claim (the events table, the
 * pseudonym key): a claim that landed may then have its release fail too, and the retry is
 * refused (documented). A fault on the replay table alone is not enough: none of these faults
 * lets a write land.
 */
let replayTableFaulted = false
let laterFaulted = false

/**
 * `releaseReplayOnServerError`: a genuine webhook answered only 503 (or 401 while an identical
 * copy held the claim) is stored when re-sent unchanged, within the timestamp's tolerance.
 */
const retriesOf503sAreStored = async () => {
	for (const { copy, statuses, releaseMayFail } of answers.values()) {
		if (releaseMayFail) continue
		if (copy.vouchedBy === undefined || copy.body !== 'webhook') continue
		if (!statuses.includes(503) || statuses.some((status) => status !== 503 && status !== 401))
			continue
		const ageMs = Date.now() - Date.parse(copy.event.headers['x-timestamp'] ?? '')
		if (!(ageMs < 280_000)) continue
		const response = (await handler(
			structuredClone(copy.event),
			lambdaContext(),
		)) as APIGatewayProxyStructuredResultV2
		const log = vi.mocked(console.error).mock.calls.at(-1)
		expect(response.statusCode, `retry of ${copy.event.body} answered ${statuses}: ${log}`).toBe(
			202,
		)
	}
}

let fresh = 0
const recovers = async () => {
	clearFaults()
	vi.setSystemTime(Date.now() + longestWindowMs + 1_000)
	for (const tenant of known) {
		const body = JSON.stringify({ id: `fresh-${++fresh}`, type: 't', data: {} })
		const response = (await handler(
			signedDelivery(tenant, secrets[tenant], body),
			lambdaContext(),
		)) as APIGatewayProxyStructuredResultV2
		const log = vi.mocked(console.error).mock.calls.at(-1)
		expect(response.statusCode, `${tenant} after faults cleared: ${log}`).toBe(202)
	}
}

const run = async (steps: Step[]) => {
	sent = []
	answers = new Map()
	try {
		for (const step of steps) {
			if (step.kind === 'deliveries') await runDeliveries(step.deliveries)
			else if (step.kind === 'fault') injectFault(step)
			else if (step.kind === 'clear') clearFaults()
			else vi.setSystemTime(Date.now() + step.ms)
		}
		await recovers()
		await retriesOf503sAreStored()
		await new Promise((resolve) => setImmediate(resolve))
		expect(unhandled).toEqual([])
	} finally {
		clearFaults()
	}
}

const seeds = [1, 2, Math.floor(Math.random() * 2 ** 31)]

describe('webhook-ingest under faults', () => {
	it.each(seeds)('keeps its promises (seed %i)', async (seed) => {
		await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), run), {
			seed,
			numRuns: 20,
		})
	})
})
