import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { createTenantContext } from '@tenantry/util'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
	createTenantCredentialSource,
	tenantCredentialsDefaults,
} from '../src/tenant-credentials.js'
import {
	pipeline,
	roleArn,
	type Stack,
	startStack,
	table,
	tableItems,
	tenantOfRequest,
} from './harness.js'

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())
afterEach(() => {
	vi.useRealTimers()
})

/** A pipeline whose handler reads one item of the caller's tenant. */
const reader = (credentials: Record<string, unknown> = {}) =>
	pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
			tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }), ...credentials },
		},
		async (context) => {
			await context.clients.dynamodb.send(
				new GetItemCommand({
					TableName: table,
					Key: { pk: { S: context.tenant.key('item', '1') }, sk: { S: '1' } },
				}),
			)
			return context.tenant.id
		},
	)

/**
 * An STS client for `reader`, with the number of AssumeRole answers it has handed back. The
 * local STS records a call before it answers, so its call list alone cannot tell a test that a
 * background refresh has landed in the session cache.
 */
const countingSts = () => {
	const sts = stack.sts.client({ maxAttempts: 1 })
	const answers = { count: 0 }
	sts.middlewareStack.add(
		(next) => async (args) => {
			try {
				return await next(args)
			} finally {
				answers.count++
			}
		},
		{ step: 'initialize' },
	)
	return { sts, answers }
}

describe('tenant-scoped credentials from STS', () => {
	it('assumes the role once per tenant, with the tenant_id session tag and a traceable session name', async () => {
		const { invoke } = reader()
		const requestIds: string[] = []
		for (let i = 0; i < 5; i++) {
			for (const tenant of ['acme', 'globex']) {
				const requestId = `req-${tenant}-${i}`
				requestIds.push(requestId)
				await expect(invoke(tenant, { requestId })).resolves.toMatchObject({
					statusCode: 200,
				})
			}
		}
		expect(stack.sts.assumeRoleCalls).toEqual([
			expect.objectContaining({
				roleArn,
				roleSessionName: 'acme@req-acme-0',
				durationSeconds: 900,
				tags: { tenant_id: 'acme' },
				policy: undefined,
			}),
			expect.objectContaining({
				roleSessionName: 'globex@req-globex-0',
				tags: { tenant_id: 'globex' },
			}),
		])
	})

	it('writes every character STS refuses in a session name as _, not only the first', async () => {
		// The request id comes from the event: one with several characters outside [\w+=,.@-]
		// must still make a valid RoleSessionName, or the tenant's first request is a 503.
		const { invoke } = reader()
		await expect(invoke('acme', { requestId: 'req:1/2 3' })).resolves.toMatchObject({
			statusCode: 200,
		})
		expect(stack.sts.assumeRoleCalls.map((call) => call.roleSessionName)).toEqual([
			'acme@req_1_2_3',
		])
	})

	it("signs with its own role's session when two middlewares of one container assume different roles", async () => {
		// Clients are cached per container by their recipe: the role (and the middleware) are part
		// of it, or the second middleware would send with the first one's role and its rights.
		const otherRole = roleArn.replace(/role\/.*$/, 'role/tenant-reports')
		const first = reader()
		const second = reader({ roleArn: otherRole })
		for (const { invoke } of [first, second, first, second])
			await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
		const gets = stack.dynamodb.requests.filter((request) => request.operation === 'GetItem')
		expect(gets.map((request) => stack.sts.callForAccessKey(request.accessKeyId)?.roleArn)).toEqual(
			[roleArn, otherRole, roleArn, otherRole],
		)
	})

	it("signs every DynamoDB request of a tenant with that tenant's session, never another's", async () => {
		const { invoke } = reader()
		for (const tenant of ['acme', 'globex', 'acme', 'initech', 'globex', 'acme'])
			await invoke(tenant)
		const gets = stack.dynamodb.requests.filter((request) => request.operation === 'GetItem')
		expect(gets).toHaveLength(6)
		for (const request of gets) {
			const key = (request.input.Key as { pk: { S: string } }).pk.S
			expect(key).toBe(`TENANT#${tenantOfRequest(stack, request.accessKeyId)}#item#1`)
		}
	})

	it('makes one AssumeRole for concurrent first requests of a tenant (single-flight)', async () => {
		const { invoke } = reader()
		const responses = await Promise.all(Array.from({ length: 20 }, () => invoke('acme')))
		expect(responses.every((response) => response.statusCode === 200)).toBe(true)
		expect(stack.sts.assumeRoleCalls).toHaveLength(1)
	})

	it('refreshes refreshBeforeExpiryMs before Expiration, in the background, then signs with the new session', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now())
		const { sts, answers } = countingSts()
		const { invoke } = reader({ sts })
		await invoke('acme')
		const [first] = stack.sts.assumeRoleCalls
		expect(first?.expiration.getTime()).toBeGreaterThan(Date.now() + 899_000)
		vi.advanceTimersByTime(595_000)
		await invoke('acme')
		expect(stack.sts.assumeRoleCalls).toHaveLength(1)
		vi.advanceTimersByTime(10_000) // 605 s: within 5 minutes of the 900 s expiry
		// Still valid for 295 s: this request keeps the session while the new one is assumed.
		await invoke('acme')
		// The refresh's answer is back; the cache stores it in the microtasks after, all run
		// before the next macrotask.
		await vi.waitFor(() => expect(answers.count).toBe(2))
		await new Promise((resolve) => setImmediate(resolve))
		expect(stack.sts.assumeRoleCalls).toHaveLength(2)
		await invoke('acme')
		expect(stack.sts.assumeRoleCalls).toHaveLength(2)
		const keys = stack.dynamodb.requests
			.filter((request) => request.operation === 'GetItem')
			.map((request) => request.accessKeyId)
		expect(keys).toEqual([
			first?.accessKeyId,
			first?.accessKeyId,
			first?.accessKeyId,
			stack.sts.assumeRoleCalls[1]?.accessKeyId,
		])
	})

	it('keeps serving the still-valid session while a slow refresh is in flight', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now())
		const { invoke } = reader()
		expect((await invoke('acme')).statusCode).toBe(200)
		vi.advanceTimersByTime(11 * 60_000) // 4 minutes of validity left
		// STS holds the refresh until the fault is cleared (the local STS records a call once it
		// answers), so these requests are answered while it is in flight, whatever the machine's
		// speed; a request that waited for it would hang until the test times out.
		stack.sts.faults.inject({ type: 'delay', ms: 60_000 })
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(200)
		expect(stack.sts.assumeRoleCalls).toHaveLength(1)
		// The one refresh lands once let go; nothing is left in flight for the next test.
		stack.sts.faults.clear()
		await vi.waitFor(() => expect(stack.sts.assumeRoleCalls).toHaveLength(2))
	})

	it('honours durationSeconds and refreshBeforeExpiryMs', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now())
		const { invoke } = reader({ durationSeconds: 3_600, refreshBeforeExpiryMs: 600_000 })
		await invoke('acme')
		expect(stack.sts.assumeRoleCalls[0]?.durationSeconds).toBe(3_600)
		vi.advanceTimersByTime(2_990_000)
		await invoke('acme')
		expect(stack.sts.assumeRoleCalls).toHaveLength(1)
		vi.advanceTimersByTime(20_000) // 3,010 s: past 3,600 s − 600 s, before the SDK's own 5-minute window
		await invoke('acme')
		expect(stack.sts.assumeRoleCalls).toHaveLength(2)
	})

	it('keeps serving still-valid credentials while a refresh fails, then answers 503', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now())
		const { invoke } = reader()
		await invoke('acme')
		const [first] = stack.sts.assumeRoleCalls
		stack.sts.faults.inject({ type: 'server-error' })
		vi.advanceTimersByTime(700_000)
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
		expect(stack.dynamodb.requests.at(-1)?.accessKeyId).toBe(first?.accessKeyId)
		vi.advanceTimersByTime(201_000) // past Expiration
		await expect(invoke('acme')).resolves.toMatchObject({
			statusCode: 503,
			headers: { 'Retry-After': '5' },
		})
	})

	it('adds sessionTags and a session policy, token-vending-machine style', async () => {
		const sessionPolicy = (tenant: { keyPrefix: string }) =>
			JSON.stringify({
				Version: '2012-10-17',
				Statement: [
					{
						Effect: 'Allow',
						Action: ['dynamodb:GetItem'],
						Resource: '*',
						Condition: {
							'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${tenant.keyPrefix}*`] },
						},
					},
				],
			})
		const { invoke } = reader({ sessionTags: () => ({ tier: 'gold' }), sessionPolicy })
		await invoke('acme')
		expect(stack.sts.assumeRoleCalls[0]).toMatchObject({
			tags: { tenant_id: 'acme', tier: 'gold' },
			policy: sessionPolicy({ keyPrefix: 'TENANT#acme#' }),
		})
	})

	it('never lets sessionTags replace tenant_id (misconfigured 500, no STS call)', async () => {
		const { invoke, errors } = reader({ sessionTags: () => ({ TENANT_ID: 'globex' }) })
		const response = await invoke('acme')
		expect(response.statusCode).toBe(500)
		expect(String((errors[0] as Error).message)).toMatch(/may not set tenant_id/)
		expect(stack.sts.assumeRoleCalls).toHaveLength(0)
	})

	it('answers 500, never a call with tags or a policy missing, when they come back as promises', async () => {
		for (const given of [
			{ sessionTags: () => Promise.resolve({ tier: 'gold' }) as never },
			{ sessionPolicy: () => Promise.resolve('{}') as never },
		]) {
			const { invoke, errors } = reader(given)
			const response = await invoke('acme')
			expect(response.statusCode).toBe(500)
			expect(String((errors[0] as Error).message)).toMatch(/returned a promise/)
		}
		expect(stack.sts.assumeRoleCalls).toHaveLength(0)
	})

	it('builds its own STS client from the shared config when none is given', async () => {
		const previous = process.env.AWS_ENDPOINT_URL_STS
		process.env.AWS_ENDPOINT_URL_STS = stack.sts.endpoint
		try {
			const { invoke } = pipeline(
				{
					clients: { dynamodb: DynamoDBClient },
					perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
					tenantCredentials: { roleArn },
				},
				async (context) =>
					context.clients.dynamodb.send(
						new GetItemCommand({
							TableName: table,
							Key: { pk: { S: context.tenant.key('i', '1') }, sk: { S: '1' } },
						}),
					),
			)
			await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
			expect(stack.sts.assumeRoleCalls).toHaveLength(1)
		} finally {
			if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_STS
			else process.env.AWS_ENDPOINT_URL_STS = previous
		}
	})
})

describe('STS failures', () => {
	it.each([
		['a 5xx', { type: 'server-error' }],
		['throttling', { type: 'throttle' }],
		['access denied', { type: 'access-denied' }],
		['a dropped connection', { type: 'down' }],
		['a malformed answer', { type: 'malformed' }],
	] as const)('%s: 503 with Retry-After, nothing sent, nothing written', async (_name, fault) => {
		stack.sts.faults.inject(fault)
		const before = await tableItems(stack)
		const { invoke, errors } = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
				tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }), retryAfterSec: 3 },
			},
			async (context) =>
				context.clients.dynamodb.send(
					new PutItemCommand({
						TableName: table,
						Item: { pk: { S: context.tenant.key('i', '1') }, sk: { S: '1' } },
					}),
				),
		)
		vi.useFakeTimers({ toFake: ['Date'] })
		try {
			const response = await invoke('acme')
			expect(response).toMatchObject({
				statusCode: 503,
				body: 'Service Unavailable',
				headers: { 'Retry-After': '3' },
			})
			expect(errors[0]).toMatchObject({ cause: { code: 'tenant_credentials_unavailable' } })
			expect(stack.dynamodb.requests.filter((r) => r.operation === 'PutItem')).toHaveLength(0)
			expect(await tableItems(stack)).toEqual(before)
			stack.sts.faults.clear()
			// STS is asked again once Retry-After has passed, not by every request before that.
			await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 503 })
			vi.setSystemTime(Date.now() + 3_000)
			await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
		} finally {
			vi.useRealTimers()
		}
	})
})

/** An AssumeRole answer with the credential fields given (and no others). */
const assumeRoleAnswer = (fields: Record<string, string>): string =>
	`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>${Object.entries(
		fields,
	)
		.map(([name, value]) => `<${name}>${value}</${name}>`)
		.join('')}</Credentials></AssumeRoleResult></AssumeRoleResponse>`

describe('an AssumeRole answer without one of the credentials', () => {
	const complete = {
		AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
		SecretAccessKey: 'secret',
		SessionToken: 'token',
		Expiration: new Date(Date.now() + 900_000).toISOString(),
	}
	// A 200 the SDK parses without complaint: a session the SDK would sign with (no token, no key
	// id) or one whose lifetime is unknown must be an STS failure (503), not a 500 or a request.
	it.each(['AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration'] as const)(
		'without %s: 503 with Retry-After, nothing sent',
		async (missing) => {
			const { [missing]: _left, ...fields } = complete
			stack.sts.faults.inject({ type: 'respond', status: 200, body: assumeRoleAnswer(fields) })
			const { invoke, errors } = reader({ retryAfterSec: 3 })
			expect(await invoke('acme')).toMatchObject({
				statusCode: 503,
				headers: { 'Retry-After': '3' },
			})
			expect(errors[0]).toMatchObject({ cause: { code: 'tenant_credentials_unavailable' } })
			expect(stack.dynamodb.requests.filter((r) => r.operation === 'GetItem')).toHaveLength(0)
		},
	)
})

describe('a session just past its real Expiration', () => {
	it('waits for the refresh instead of answering 503 (the cache counts from arrival, STS from issue)', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(1_800_000_000_000)
		let issued = 0
		const sts = {
			send: async () => {
				issued++
				// Issued a second before it reaches us.
				const Expiration = new Date(Date.now() - 1_000 + 900_000)
				return {
					Credentials: {
						AccessKeyId: `ASIA${issued}`,
						SecretAccessKey: 's',
						SessionToken: 't',
						Expiration,
					},
				}
			},
		}
		const source = createTenantCredentialSource(
			{
				...tenantCredentialsDefaults,
				roleArn: 'arn:aws:iam::123456789012:role/tenant',
				sts,
			} as never,
			{ enter() {}, current: () => ({ requestId: 'r' }) } as never,
			async () => sts,
			async () =>
				class {
					constructor(readonly input: unknown) {}
				} as never,
		)
		const provider = source.providerFor(createTenantContext('acme'))
		expect((await provider()).accessKeyId).toBe('ASIA1')
		// Idle through the whole refresh window: the session expired half a second ago.
		vi.setSystemTime(1_800_000_000_000 + 899_500)
		expect((await provider()).accessKeyId).toBe('ASIA2')
	})

	/** A credential source on an STS whose sessions expire 1 s sooner than the cache counts. */
	const sourceIssuedEarly = (options: {
		refreshBeforeExpiryMs?: number
		stsFails?: () => boolean
	}) => {
		let issued = 0
		const sts = {
			send: async () => {
				if (options.stsFails?.()) throw new Error('STS is down')
				issued++
				return {
					Credentials: {
						AccessKeyId: `ASIA${issued}`,
						SecretAccessKey: 's',
						SessionToken: 't',
						Expiration: new Date(Date.now() - 1_000 + 900_000),
					},
				}
			},
		}
		return createTenantCredentialSource(
			{
				...tenantCredentialsDefaults,
				roleArn: 'arn:aws:iam::123456789012:role/tenant',
				sts,
				...(options.refreshBeforeExpiryMs === undefined
					? {}
					: { refreshBeforeExpiryMs: options.refreshBeforeExpiryMs }),
			} as never,
			{ enter() {}, current: () => ({ requestId: 'r' }) } as never,
			async () => sts,
			async () =>
				class {
					constructor(readonly input: unknown) {}
				} as never,
		).providerFor(createTenantContext('acme'))
	}

	it('answers 503 from the real Expiration on while STS fails, never the expired session', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(1_800_000_000_000)
		let down = false
		const provider = sourceIssuedEarly({ stsFails: () => down })
		expect((await provider()).accessKeyId).toBe('ASIA1')
		down = true
		// Exactly its Expiration: the cache would still serve it stale for another second.
		vi.setSystemTime(1_800_000_000_000 + 899_000)
		await expect(provider()).rejects.toMatchObject({
			statusCode: 503,
			cause: { code: 'tenant_credentials_unavailable' },
		})
	})

	it('never tells the SDK to keep a session past its real Expiration (refreshBeforeExpiryMs: 0)', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(1_800_000_000_000)
		const provider = sourceIssuedEarly({ refreshBeforeExpiryMs: 0 })
		// The SDK refreshes 5 minutes before the expiration it is given: with no margin of ours,
		// that must be the session's own Expiration, not 5 minutes past it.
		expect((await provider()).expiration.getTime()).toBe(1_800_000_000_000 + 899_000)
	})
})
