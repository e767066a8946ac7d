import { type Fault, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
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
	itemsByPk,
	keyTenant,
	knownTenants as known,
	lastErrorLog,
	outageArb,
	pkOf,
	refusalArb,
	runSteps,
	tenantArb,
	unreadableArb,
	useChaosStack,
} from '../../../scripts/chaos-kit.js'
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
const replayTable = 'webhook-replay'

let stack: LocalStack
let handler: Handler

// The faked clock also moves past timestamps' tolerance.
useChaosStack(async () => {
	;({ stack, handler } = await startWebhookIngest(secrets))
	return stack
})

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

// Refusals (`refusalArb`) are outages or unknown tenants on Secrets Manager (not found: an
// unknown tenant, 401; anything else a 503) and the replay store, not on the events table (a
// 500). Unreadable answers (`unreadableArb`) only on the replay store; a secret gets its own set.
type Target = `tenants/${string}` | typeof pseudonymKeySecretId | 'UpdateItem' | 'PutItem'
type Step = ChaosStep<{ kind: 'deliveries'; deliveries: Delivery[] }, Target>
const secretTargets: Target[] = [
	'tenants/acme',
	'tenants/globex',
	'tenants/initech',
	pseudonymKeySecretId,
]
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
	{ weight: 1, arbitrary: clearStep },
	// Past backoff windows (1 s), `refetchGraceMs` (5 s), the secrets' TTL (5 min) and the
	// timestamps' tolerance (5 min), and the secrets' stale window (1 h).
	{ weight: 2, arbitrary: advanceStep(300, 1_100, 5_100, 301_000, 3_700_000) },
)

/**
 * Any fault excuses a 503 until cleared and for the longest documented window after: a
 * remembered "not found" is re-checked after 5 s.
 */
const faulted = new FaultWindow(5_000)

const injectFault = (step: FaultStep<Target>) => {
	faulted.open()
	if (step.target === 'UpdateItem') replayTableFaulted = true
	if (step.target === 'PutItem' || step.target === pseudonymKeySecretId) laterFaulted = true
	const options = { target: step.target, ...faultOptions(step) }
	if (step.target === 'UpdateItem' || step.target === 'PutItem')
		stack.dynamodb.faults.inject(step.fault, options)
	else stack.secretsManager.faults.inject(step.fault, options)
}
const clearFaults = () => {
	replayTableFaulted = false
	laterFaulted = false
	faulted.close()
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

const events = () => itemsByPk(stack, eventsTable)

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
		const response = fulfilled(outcome, what) as APIGatewayProxyStructuredResultV2
		checkAnswer(what, response, {
			window: faulted,
			scheme: /^HMAC /,
			vouched: tenant !== undefined,
		})
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
	expectChangedOnly(before, after, stored)
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
		expect(
			response.statusCode,
			`retry of ${copy.event.body} answered ${statuses}: ${lastErrorLog()}`,
		).toBe(202)
	}
}

let fresh = 0
const recovers = async () => {
	for (const tenant of known) {
		const body = JSON.stringify({ id: `fresh-${++fresh}`, type: 't', data: {} })
		const response = (await handler(
			signedDelivery(tenant, secrets[tenant], body),
			lambdaContext(),
		)) as APIGatewayProxyStructuredResultV2
		expect(response.statusCode, `${tenant} after faults cleared: ${lastErrorLog()}`).toBe(202)
	}
}

const run = (steps: Step[]) => {
	sent = []
	answers = new Map()
	return runSteps(steps, {
		act: (step) => runDeliveries(step.deliveries),
		inject: injectFault,
		clear: clearFaults,
		window: faulted,
		recovered: async () => {
			await recovers()
			await retriesOf503sAreStored()
		},
	})
}

describeChaos('webhook-ingest under faults', 'keeps its promises', {
	seeds: [1, 2],
	numRuns: 20,
	steps: stepArb,
	run,
})
