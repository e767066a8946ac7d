import { ScanCommand } from '@aws-sdk/client-dynamodb'
import {
	type Fault,
	type LocalStack,
	type SigningAlgorithm,
	type SigningKey,
	tenantLookAlikes,
} from '@tenantry/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

/**
 * What the examples' fault-injection property tests (`examples/*\/test/chaos.property.test.ts`)
 * share: one copy of the fault sets, the step bookkeeping and the invariants they all check, so
 * that a fix or a new fault reaches every example at once. What an example promises on its own
 * (which dependency a fault may hit, which statuses it documents) stays in its test, passed here
 * as a parameter.
 */

/** The tenants every example's stack knows (has a secret, items, a profile for). */
export const knownTenants = ['acme', 'globex'] as const

/** Mostly known tenants; now and then an unknown one or a look-alike of acme. */
export const tenantArb: fc.Arbitrary<string> = fc.oneof(
	{ weight: 4, arbitrary: fc.constantFrom(...knownTenants) },
	{ weight: 1, arbitrary: fc.constantFrom('initech', ...tenantLookAlikes('acme')) },
)

/** Failures of a service that is down or slow: each is a 503 wherever it reaches the client. */
export const outageArb: fc.Arbitrary<Fault> = fc.oneof(
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
 * Refusals: only where the project makes them outages (or unknown tenants). Each test says
 * where: on a tenant's own DynamoDB data the READMEs make access denied and a missing table the
 * request's own errors, 500s (a misconfiguration, not an outage), so they are left out there.
 */
export const refusalArb: fc.Arbitrary<Fault> = fc.constantFrom<Fault>(
	{ type: 'access-denied' },
	{ type: 'not-found' },
)

/**
 * Answers that are no answer: a huge body, an empty 200, a 400 that is not JSON, a redirect. Where
 * the project makes them outages (the JWKS: anything but a readable 200; STS; the rate-limit
 * and replay stores, whose every failure is handled). Not on a tenant client's items (its README
 * counts only unreadable 2xx as outages: a 3xx or an unreadable 4xx stays the SDK's error, a 500)
 * nor as a tenant's secret (a 200 without a JSON SecretString is a malformed secret: 500,
 * `hmac_secret_malformed`).
 */
export const unreadableArb: fc.Arbitrary<Fault> = fc.constantFrom<Fault>(
	{ type: 'oversized' },
	{ type: 'respond', status: 200, body: '' },
	{ type: 'respond', status: 400, body: 'not json' },
	{ type: 'respond', status: 302, body: '', headers: { location: 'http://127.0.0.1:9/' } },
)

/** A fault on one of an example's targets, pending for `times` requests or until cleared. */
export interface FaultStep<Target extends string> {
	kind: 'fault'
	target: Target
	fault: Fault
	times: number | undefined
}
/** A test's own action (requests, deliveries) or one of the shared fault and clock steps. */
export type ChaosStep<Action extends { kind: string }, Target extends string> =
	| Action
	| FaultStep<Target>
	| { kind: 'clear' }
	| { kind: 'advance'; ms: number }

/** A fault from `fault` on one of `targets`, for 1 to 4 requests or until cleared. */
export const faultStep = <Target extends string>(
	targets: readonly Target[],
	fault: fc.Arbitrary<Fault>,
): fc.Arbitrary<FaultStep<Target>> =>
	fc.record({
		kind: fc.constant('fault' as const),
		target: fc.constantFrom(...targets),
		fault,
		times: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
	})

/** The options a step's fault is injected with: for `times` requests, or until cleared. */
export const faultOptions = (step: FaultStep<string>): { times?: number } =>
	step.times === undefined ? {} : { times: step.times }

/** A fault on the identity provider's JWKS endpoint (the two JWT examples). */
export const injectJwksFault = (stack: LocalStack, step: FaultStep<string>) =>
	stack.identityProvider.faults.inject(step.fault, {
		...faultOptions(step),
		target: '/.well-known/jwks.json',
	})

/** Clears every pending fault. */
export const clearStep = fc.constant({ kind: 'clear' as const })

/** Moves the (faked) clock by one of `ms`: each test picks the windows its project documents. */
export const advanceStep = (...ms: number[]): fc.Arbitrary<{ kind: 'advance'; ms: number }> =>
	fc.constantFrom(...ms).map((ms) => ({ kind: 'advance' as const, ms }))

/**
 * Until when a dependency may count as down: while a fault may be pending (until cleared), and
 * for `backoffMs` (the longest documented backoff) after; past that, a 503 has no excuse.
 */
export class FaultWindow {
	until = 0
	constructor(
		/** The longest documented backoff after a failure. */
		readonly backoffMs: number,
		/** What the window covers, for messages: `fault`, `JWKS fault`. */
		private readonly label = 'fault',
	) {}
	/** A fault was injected: it may be pending until cleared. */
	open() {
		this.until = Number.POSITIVE_INFINITY
	}
	/** Faults were cleared: failures stay excused for `backoffMs`. */
	close() {
		if (this.until > Date.now()) this.until = Date.now() + this.backoffMs
	}
	/** Fails unless a failure (`what`) may still be blamed on a fault now. */
	expectExcused(what: string) {
		expect(Date.now() <= this.until, `${what} with no ${this.label} since ${this.until}`).toBe(true)
	}
}

/**
 * Signs with the ES256 key published at start (the JWKS prefetch has it): `sign` would otherwise
 * take the newest RS256 key, the rotated one.
 */
export const signer =
	(stack: LocalStack) =>
	(payload: Record<string, unknown>, options: { key?: SigningKey } = {}) =>
		stack.identityProvider.sign(payload, { alg: 'ES256', ...options })

/** The credentials both JWT examples send; each adds its own (wrong audience, no scope, …). */
export type SharedJwtCredential = 'valid' | 'rotated-kid' | 'expired' | 'forged'

/**
 * A token carrying `claims`: as is (`valid`); signed by `rotatedKey`, published after the cold
 * start's JWKS prefetch (`rotated-kid`); expired 2 min ago; or signed by a fresh unpublished key
 * of `forgedAlg` (`forged`: each example keeps the algorithm its test forges with).
 */
export const sharedJwt = async (
	stack: LocalStack,
	credential: SharedJwtCredential,
	claims: Record<string, unknown>,
	options: { rotatedKey: SigningKey; forgedAlg: SigningAlgorithm },
): Promise<string> => {
	const sign = signer(stack)
	switch (credential) {
		case 'valid':
			return sign(claims)
		case 'rotated-kid':
			return sign(claims, { key: options.rotatedKey })
		case 'expired':
			return sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 120 })
		case 'forged':
			return sign(claims, {
				key: await stack.identityProvider.createKey(options.forgedAlg, { publish: false }),
			})
	}
}

/** Every example answers 2xx, 4xx or 503 (an outage); anything else is a broken promise. */
export const isPromisedStatus = (status: number) =>
	(status >= 200 && status < 500) || status === 503

/**
 * The checks every answer of a handler owes: a promised status; a 503 only within a fault window
 * and with Retry-After; a 401 with WWW-Authenticate of its `scheme`; a 2xx only if `vouched`.
 * `what` names the request in messages. Returns the status and the message naming the answer.
 */
export const checkAnswer = (
	what: string,
	response: { statusCode?: number; body?: string; headers?: Record<string, unknown> },
	options: { window: FaultWindow; scheme: RegExp; vouched: boolean },
): { status: number; said: string } => {
	const status = response.statusCode ?? 200
	const said = `${what} → ${status} ${response.body ?? ''}`
	expect(isPromisedStatus(status), said).toBe(true)
	if (status === 503) options.window.expectExcused(said)
	if (status === 503) expect(Number(response.headers?.['Retry-After']), said).toBeGreaterThan(0)
	if (status === 401) expect(response.headers?.['WWW-Authenticate'], said).toMatch(options.scheme)
	if (status < 300) expect(options.vouched, said).toBe(true)
	return { status, said }
}

/** The value of a settled handler call: nothing may escape a handler (`what` names the call). */
export const fulfilled = <T>(outcome: PromiseSettledResult<T>, what: string): T => {
	expect(outcome.status, `${what} threw ${String((outcome as PromiseRejectedResult).reason)}`).toBe(
		'fulfilled',
	)
	return (outcome as PromiseFulfilledResult<T>).value
}

/** A table's items by partition key (as JSON), those whose key `keep` accepts. */
export const itemsByPk = async (
	stack: LocalStack,
	tableName: string,
	keep: (pk: string) => boolean = () => true,
): Promise<Map<string, string>> => {
	const { Items = [] } = await stack.dynamodb
		.client()
		.send(new ScanCommand({ TableName: tableName }))
	const byKey = new Map<string, string>()
	for (const item of Items) {
		const pk = item.pk?.S ?? ''
		if (keep(pk)) byKey.set(pk, JSON.stringify(item))
	}
	return byKey
}

/** Fails if an item changed (between `before` and `after`) under a key not in `allowed`. */
export const expectChangedOnly = (
	before: Map<string, string>,
	after: Map<string, string>,
	allowed: Set<string>,
) => {
	for (const key of new Set([...before.keys(), ...after.keys()]))
		if (before.get(key) !== after.get(key)) expect(allowed.has(key), `changed ${key}`).toBe(true)
}

/** The tenant of a `TENANT#<id>#…` key. */
export const keyTenant = (pk: string) => /^TENANT#([^#]*)#/.exec(pk)?.[1]
/** The partition key a DynamoDB request names (`Key` or `Item`). */
export const pkOf = (input: Record<string, unknown>): string | undefined => {
	const holder = (input.Key ?? input.Item) as { pk?: { S?: string } } | undefined
	return holder?.pk?.S
}

/** The last line logged with `console.error` (mocked by the setup), for failure messages. */
export const lastErrorLog = () => vi.mocked(console.error).mock.calls.at(-1)

const unhandled: unknown[] = []
const recordUnhandled = (reason: unknown) => unhandled.push(reason)

/**
 * The hooks of a chaos test: records unhandled rejections (none may happen), starts the stack,
 * then fakes only Date (steps move the clock past backoff windows; the SDK's timers stay real);
 * undoes it all after.
 */
export const useChaosStack = (start: () => Promise<LocalStack>) => {
	let stack: LocalStack | undefined
	beforeAll(async () => {
		process.on('unhandledRejection', recordUnhandled)
		stack = await start()
		vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
	})
	afterAll(async () => {
		vi.useRealTimers()
		await stack?.stop()
		process.off('unhandledRejection', recordUnhandled)
	})
}

/** How a test plays its steps: its own action, and its faults' injection and clearing. */
export interface ChaosDriver<Action extends { kind: string }, Target extends string> {
	act: (step: Action) => Promise<void>
	inject: (step: FaultStep<Target>) => void
	clear: () => void
	/** The window whose backoff the recovery waits out. */
	window: FaultWindow
	/** Once faults are cleared and the backoff (+1 s) has passed: what must work again. */
	recovered: () => Promise<void>
}

/**
 * Plays `steps`, then clears faults, waits out the backoff and checks recovery, then that
 * nothing rejected unhandled; faults are cleared whatever happens.
 */
export const runSteps = async <Action extends { kind: string }, Target extends string>(
	steps: ChaosStep<Action, Target>[],
	driver: ChaosDriver<Action, Target>,
) => {
	try {
		for (const step of steps) {
			if (step.kind === 'fault') driver.inject(step as FaultStep<Target>)
			else if (step.kind === 'clear') driver.clear()
			else if (step.kind === 'advance')
				vi.setSystemTime(Date.now() + (step as { kind: 'advance'; ms: number }).ms)
			else await driver.act(step as Action)
		}
		driver.clear()
		vi.setSystemTime(Date.now() + driver.window.backoffMs + 1_000)
		await driver.recovered()
		await new Promise((resolve) => setImmediate(resolve))
		expect(unhandled).toEqual([])
	} finally {
		driver.clear()
	}
}

/**
 * The property over 1 to 10 steps, once per fixed seed (reproducible) and once with a random
 * one (new sequences on every run), `numRuns` each.
 */
export const describeChaos = <Step>(
	title: string,
	test: string,
	options: {
		seeds: number[]
		numRuns: number
		steps: fc.Arbitrary<Step>
		run: (steps: Step[]) => Promise<void>
	},
) =>
	describe(title, () => {
		const seeds = [...options.seeds, Math.floor(Math.random() * 2 ** 31)]
		it.each(seeds)(`${test} (seed %i)`, async (seed) => {
			await fc.assert(
				fc.asyncProperty(fc.array(options.steps, { minLength: 1, maxLength: 10 }), options.run),
				{ seed, numRuns: options.numRuns },
			)
		})
	})
