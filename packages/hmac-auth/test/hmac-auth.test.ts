import { albEvent, functionUrlEvent, httpApiEvent, restApiEvent } from '@tenantry/testing'
import { describe, expect, it, vi } from 'vitest'
import { NotFoundError, SecretFormatError, signRequest } from '../src/index.js'
import {
	fakeClock,
	freshPrefix,
	harness,
	lastReason,
	secretsManagerPerFile,
	signedEvent,
	unauthorizedResponse,
	unavailableResponse,
} from './helpers.js'

const local = secretsManagerPerFile()

const body = JSON.stringify({ item: 'book', quantity: 2 })

/** A prefix holding `acme` (secret `acme-secret`) and `globex` (secret `globex-secret`). */
const seeded = () => {
	const prefix = freshPrefix()
	local.secretsManager.putSecret(`${prefix}/acme`, { shared_secret: 'acme-secret' })
	local.secretsManager.putSecret(`${prefix}/globex`, { shared_secret: 'globex-secret' })
	return prefix
}

const setup = (
	extra: Parameters<typeof harness>[0] = {},
	parser?: Parameters<typeof harness>[1],
) => {
	const prefix = seeded()
	const clock = fakeClock()
	const h = harness({ secrets: { prefix, client: local.client }, now: clock.now, ...extra }, parser)
	const sign = (overrides: Partial<Parameters<typeof signRequest>[0]> = {}) => ({
		secret: 'acme-secret',
		body,
		tenantId: 'acme',
		timestamp: clock.date(),
		...overrides,
	})
	return {
		prefix,
		clock,
		h,
		sign,
		calls: (tenant = 'acme') => local.secretsManager.calls(`${prefix}/${tenant}`),
	}
}

describe('a correctly signed request', () => {
	it('reaches the handler with context.auth = { method: hmac, tenantId }', async () => {
		const { h, sign } = setup()
		const response = await h.handler(signedEvent(sign()))
		expect(response).toMatchObject({ statusCode: 200, body: '{"tenant":"acme"}' })
		expect(h.seen).toEqual([{ method: 'hmac', tenantId: 'acme' }])
	})

	it.each([
		['REST API v1 (multiValueHeaders)', restApiEvent],
		['ALB', albEvent],
		['ALB with multi-value headers', (spec: object) => albEvent({ ...spec, multiValue: true })],
		['Function URL', functionUrlEvent],
		['HTTP API v2', httpApiEvent],
	])('verifies on %s events', async (_, build) => {
		const { h, sign } = setup()
		const headers = signRequest(sign())
		const response = await h.handler(build({ method: 'POST', path: '/orders', body, headers }))
		expect(response.statusCode).toBe(200)
		expect(h.seen).toEqual([{ method: 'hmac', tenantId: 'acme' }])
	})

	it('matches header names case-insensitively', async () => {
		const { h, sign } = setup()
		const headers = Object.fromEntries(
			Object.entries(signRequest(sign())).map(([name, value]) => [name.toUpperCase(), value]),
		)
		const response = await h.handler(restApiEvent({ method: 'POST', body, headers }))
		expect(response.statusCode).toBe(200)
	})

	it('accepts Unix seconds and ISO-8601 with fractional seconds', async () => {
		const { h, sign, clock } = setup()
		for (const timestamp of [String(clock.now() / 1000), '2026-11-23T09:59:30.123456Z']) {
			expect((await h.handler(signedEvent(sign({ timestamp })))).statusCode).toBe(200)
		}
	})

	it('verifies the raw bytes of a base64-encoded body', async () => {
		const { h, sign } = setup()
		const bytes = Buffer.from([0, 255, 1, 254, 0xc3, 0x28, 10])
		const response = await h.handler(signedEvent(sign({ body: bytes }), { body: bytes }))
		expect(response.statusCode).toBe(200)
	})

	it('verifies an empty body and a missing one alike', async () => {
		const { h, sign } = setup()
		const event = httpApiEvent({
			method: 'GET',
			path: '/orders',
			headers: signRequest(sign({ body: '' })),
		})
		expect(event.body).toBeUndefined()
		expect((await h.handler(event)).statusCode).toBe(200)
	})

	it('reads configured header names', async () => {
		const { h, sign } = setup({
			headers: { tenantId: 'X-Client', timestamp: 'X-Date', signature: 'X-Mac' },
		})
		const signed = signRequest(sign())
		const headers = {
			'x-client': 'acme',
			'x-date': signed['x-timestamp'] ?? '',
			'x-mac': signed['x-signature'] ?? '',
		}
		expect((await h.handler(httpApiEvent({ method: 'POST', body, headers }))).statusCode).toBe(200)
		expect((await h.handler(signedEvent(sign()))).statusCode).toBe(401)
	})

	it('takes the tenant id from tenantIdFrom, e.g. a path parameter', async () => {
		const { h, sign } = setup({ tenantIdFrom: (event) => event.pathParameters?.tenant })
		const signed = signRequest(sign({ tenantId: undefined }))
		const event = httpApiEvent({
			method: 'POST',
			body,
			headers: signed,
			pathParameters: { tenant: 'acme' },
		})
		expect((await h.handler(event)).statusCode).toBe(200)
		expect(h.seen).toEqual([{ method: 'hmac', tenantId: 'acme' }])
	})

	it('answers 401 when tenantIdFrom throws, keeping its error for the logs', async () => {
		const failure = new TypeError('no path parameters')
		const { h, sign, calls } = setup({
			tenantIdFrom: () => {
				throw failure
			},
		})
		expect(await h.handler(signedEvent(sign()))).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_missing_credentials')
		expect((h.logged[0] as { cause: { cause: unknown } }).cause.cause).toBe(failure)
		expect(calls()).toBe(0)
	})

	it('answers 500, not 401 to everyone, when tenantIdFrom returns a promise', async () => {
		const { h, sign } = setup({ tenantIdFrom: () => Promise.resolve('acme') as never })
		const response = await h.handler(signedEvent(sign()))
		expect(response.statusCode).toBe(500)
		expect(h.seen).toEqual([])
		expect(String(h.logged[0])).toMatch(/tenantIdFrom returned a promise/)
	})
})

describe('middleware order', () => {
	it('works with @middy/http-json-body-parser after it: the handler gets the parsed body', async () => {
		const { h, sign } = setup({}, 'after')
		const response = await h.handler(signedEvent(sign()))
		expect(response.statusCode).toBe(200)
		expect(h.bodies).toEqual([{ item: 'book', quantity: 2 }])
	})

	it('works with a base64-encoded JSON body and the parser after it', async () => {
		const { h, sign } = setup({}, 'after')
		const event = signedEvent(sign(), { body, isBase64Encoded: true })
		expect(event.isBase64Encoded).toBe(true)
		expect((await h.handler(event)).statusCode).toBe(200)
		expect(h.bodies).toEqual([{ item: 'book', quantity: 2 }])
	})

	it('answers a plain 500 naming the order when the parser runs first, not a silent 401', async () => {
		const { h, sign, calls } = setup({}, 'before')
		const response = await h.handler(signedEvent(sign()))
		expect(response).toEqual({ statusCode: 500, headers: {} })
		expect(h.seen).toEqual([])
		expect(calls()).toBe(0)
		const logged = h.logged[0] as Error & { cause?: { code?: string } }
		expect(logged.message).toMatch(/must be \.use\(\)d before @middy\/http-json-body-parser/)
		expect(logged.cause?.code).toBe('hmac_body_already_parsed')
	})
})

describe('credential failures', () => {
	it('answer the same 401 for every reason, and the handler never runs', async () => {
		const { h, sign, clock } = setup({ toleranceSec: 300 })
		const cases: [string, ReturnType<typeof signedEvent>][] = [
			['hmac_signature_mismatch', signedEvent(sign({ secret: 'wrong' }))],
			['hmac_signature_mismatch', signedEvent(sign({ secret: 'globex-secret' }))],
			['hmac_unknown_tenant', signedEvent(sign({ tenantId: 'initech' }))],
			[
				'hmac_malformed_timestamp',
				signedEvent(sign(), { headers: { 'x-timestamp': 'yesterday' } }),
			],
			[
				'hmac_timestamp_out_of_tolerance',
				signedEvent(sign({ timestamp: new Date(clock.now() - 301_000) })),
			],
			[
				'hmac_timestamp_out_of_tolerance',
				signedEvent(sign({ timestamp: new Date(clock.now() + 301_000) })),
			],
			['hmac_missing_credentials', signedEvent(sign(), { headers: { 'x-signature': '' } })],
			// An empty tenant header names no tenant: missing, like an empty signature, not invalid.
			['hmac_missing_credentials', signedEvent(sign(), { headers: { 'x-tenant-id': '' } })],
			['hmac_invalid_tenant_id', signedEvent(sign(), { headers: { 'x-tenant-id': '../acme' } })],
		]
		for (const [reason, event] of cases) {
			expect(await h.handler(event)).toEqual(unauthorizedResponse())
			expect(lastReason(h)).toBe(reason)
		}
		expect(h.seen).toEqual([])
	})

	it("rejects a signature made with another tenant's secret", async () => {
		const { h, sign } = setup()
		const event = signedEvent(sign({ secret: 'globex-secret', tenantId: 'acme' }))
		expect(await h.handler(event)).toEqual(unauthorizedResponse())
		expect(
			(await h.handler(signedEvent(sign({ secret: 'globex-secret', tenantId: 'globex' }))))
				.statusCode,
		).toBe(200)
	})

	it('rejects a body changed after signing', async () => {
		const { h, sign } = setup()
		const event = signedEvent(sign(), { body: body.replace('2', '20') })
		expect(await h.handler(event)).toEqual(unauthorizedResponse())
	})

	it('uses the configured realm in WWW-Authenticate', async () => {
		const { h, sign } = setup({ realm: 'orders' })
		expect(await h.handler(signedEvent(sign({ secret: 'x' })))).toEqual(
			unauthorizedResponse('HMAC realm="orders"'),
		)
	})
})

describe('timestamp tolerance (fake clock)', () => {
	it('accepts up to, not including, toleranceSec in the past and in the future', async () => {
		const { h, sign, clock } = setup({ toleranceSec: 60 })
		const at = (offsetMs: number) =>
			signedEvent(sign({ timestamp: new Date(clock.now() + offsetMs) }))
		expect((await h.handler(at(-59_000))).statusCode).toBe(200)
		expect((await h.handler(at(59_000))).statusCode).toBe(200)
		expect((await h.handler(at(-60_000))).statusCode).toBe(401)
		expect((await h.handler(at(60_000))).statusCode).toBe(401)
	})

	it('rejects a request that was valid once, when it arrives too late', async () => {
		const { h, sign, clock } = setup()
		const event = signedEvent(sign())
		expect((await h.handler(event)).statusCode).toBe(200)
		clock.advance(300_000)
		expect(await h.handler(event)).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_timestamp_out_of_tolerance')
		expect((h.logged.at(-1) as { cause: { skewSec: number } }).cause.skewSec).toBe(-300)
	})
})

describe('secret fetching', () => {
	it('fetches once for 100 concurrent cold requests of one tenant', async () => {
		const { h, sign, calls } = setup()
		const responses = await Promise.all(
			Array.from({ length: 100 }, () => h.handler(signedEvent(sign()))),
		)
		expect(responses.every((response) => response.statusCode === 200)).toBe(true)
		expect(calls()).toBe(1)
	})

	it('fetches 20 times for 1,000 requests over 20 tenants within the TTL', async () => {
		const prefix = freshPrefix()
		const tenants = Array.from({ length: 20 }, (_, index) => `tenant-${index}`)
		for (const tenant of tenants)
			local.secretsManager.putSecret(`${prefix}/${tenant}`, { shared_secret: `s-${tenant}` })
		const clock = fakeClock()
		const h = harness({ secrets: { prefix, client: local.client }, now: clock.now })
		const before = local.secretsManager.calls()
		const statuses: number[] = []
		for (let batch = 0; batch < 10; batch++) {
			const responses = await Promise.all(
				Array.from({ length: 100 }, (_, index) => {
					const tenant = tenants[(batch * 100 + index) % 20] ?? ''
					return h.handler(
						signedEvent({ secret: `s-${tenant}`, body, tenantId: tenant, timestamp: clock.date() }),
					)
				}),
			)
			statuses.push(...responses.map((response) => response.statusCode))
			clock.advance(10_000)
		}
		expect(statuses.filter((status) => status === 200)).toHaveLength(1000)
		expect(local.secretsManager.calls() - before).toBe(20)
	})

	it('refetches after ttlMs', async () => {
		const { h, sign, clock, calls } = setup({ cache: { ttlMs: 60_000 } })
		await h.handler(signedEvent(sign()))
		clock.advance(59_999)
		await h.handler(signedEvent(sign()))
		expect(calls()).toBe(1)
		clock.advance(1)
		expect((await h.handler(signedEvent(sign()))).statusCode).toBe(200)
		expect(calls()).toBe(2)
	})

	it('remembers unknown tenants: one fetch per tenant and refetchGraceMs, as a mismatch on a known one costs', async () => {
		const { h, sign, clock, calls } = setup({
			cache: { refetchGraceMs: 29_500 },
		})
		const unknown = ['ghost-1', 'ghost-2', 'ghost-3']
		const flood = () =>
			Promise.all(
				Array.from({ length: 60 }, (_, index) =>
					h.handler(signedEvent(sign({ tenantId: unknown[index % 3] }))),
				),
			)
		const responses = await flood()
		for (const response of responses) expect(response).toEqual(unauthorizedResponse())
		expect(unknown.map((tenant) => calls(tenant))).toEqual([1, 1, 1])
		clock.advance(29_000)
		await flood()
		expect(unknown.map((tenant) => calls(tenant))).toEqual([1, 1, 1])
		clock.advance(1_000)
		await flood()
		expect(unknown.map((tenant) => calls(tenant))).toEqual([2, 2, 2])
		expect(lastReason(h)).toBe('hmac_unknown_tenant')
	})

	it('never fetches for an invalid tenant id', async () => {
		const { h, sign } = setup()
		const before = local.secretsManager.calls()
		for (const tenantId of ['../acme', 'acme/../globex', '*', 'ácme', ' acme', 'a'.repeat(65)]) {
			const response = await h.handler(
				signedEvent(sign(), { headers: { 'x-tenant-id': tenantId } }),
			)
			expect(response).toEqual(unauthorizedResponse())
		}
		expect(local.secretsManager.calls()).toBe(before)
	})

	it('reads configured JSON field names', async () => {
		const prefix = freshPrefix()
		local.secretsManager.putSecret(`${prefix}/acme`, { hmac: 'new', hmac_old: 'old' })
		const clock = fakeClock()
		const h = harness({
			secrets: { prefix, client: local.client, field: 'hmac', previousField: 'hmac_old' },
			now: clock.now,
		})
		for (const secret of ['new', 'old']) {
			const event = signedEvent({ secret, body, tenantId: 'acme', timestamp: clock.date() })
			expect((await h.handler(event)).statusCode).toBe(200)
		}
	})

	it.each([
		['previousField', { field: 'hmac', previousField: 'constructor' }, { hmac: 'new' }],
		['field', { field: 'toString' }, { toString: 'new' }],
	])(
		'reads a %s named like an inherited property from the secret alone',
		async (_, fields, stored) => {
			// A secret's JSON is parsed into an ordinary object: `constructor` read from it is
			// Object, which was "not a string" for every tenant.
			const prefix = freshPrefix()
			local.secretsManager.putSecret(`${prefix}/acme`, stored)
			const clock = fakeClock()
			const h = harness({ secrets: { prefix, client: local.client, ...fields }, now: clock.now })
			const event = signedEvent({ secret: 'new', body, tenantId: 'acme', timestamp: clock.date() })
			expect((await h.handler(event)).statusCode).toBe(200)
		},
	)

	it('does not take a field from the prototype when the secret lacks it', async () => {
		const prefix = freshPrefix()
		local.secretsManager.putSecret(`${prefix}/acme`, { hmac: 'new' })
		const clock = fakeClock()
		const h = harness({
			secrets: { prefix, client: local.client, field: 'toString' },
			now: clock.now,
		})
		const event = signedEvent({ secret: 'new', body, tenantId: 'acme', timestamp: clock.date() })
		expect((await h.handler(event)).statusCode).not.toBe(200)
	})

	it('reads SECRET_PREFIX when no prefix is given', async () => {
		const prefix = seeded()
		const previous = process.env.SECRET_PREFIX
		process.env.SECRET_PREFIX = prefix
		try {
			const clock = fakeClock()
			const h = harness({ secrets: { client: local.client }, now: clock.now })
			const event = signedEvent({
				secret: 'acme-secret',
				body,
				tenantId: 'acme',
				timestamp: clock.date(),
			})
			expect((await h.handler(event)).statusCode).toBe(200)
		} finally {
			if (previous === undefined) delete process.env.SECRET_PREFIX
			else process.env.SECRET_PREFIX = previous
		}
	})
})

describe('a secrets function', () => {
	it('may return several secrets, any of which verifies', async () => {
		const clock = fakeClock()
		const h = harness({ secrets: async () => ['new', 'old'], now: clock.now })
		for (const secret of ['new', 'old', 'other']) {
			const event = signedEvent({ secret, body, tenantId: 'acme', timestamp: clock.date() })
			expect((await h.handler(event)).statusCode).toBe(secret === 'other' ? 401 : 200)
		}
	})

	it('signals an unknown tenant with NotFoundError (401, remembered)', async () => {
		const clock = fakeClock()
		let loads = 0
		const h = harness({
			secrets: async () => {
				loads++
				throw new NotFoundError()
			},
			now: clock.now,
		})
		for (let i = 0; i < 5; i++) {
			const event = signedEvent({ secret: 's', body, tenantId: 'ghost', timestamp: clock.date() })
			expect(await h.handler(event)).toEqual(unauthorizedResponse())
		}
		expect(loads).toBe(1)
	})

	it('failing is a 503 with Retry-After, logging only the failure name', async () => {
		const clock = fakeClock()
		const failure = new Error('vault sealed')
		const h = harness({
			secrets: async () => {
				throw failure
			},
			now: clock.now,
			retryAfterSec: 7,
		})
		const event = signedEvent({ secret: 's', body, tenantId: 'acme', timestamp: clock.date() })
		expect(await h.handler(event)).toEqual(unavailableResponse('7'))
		const reason = (h.logged[0] as { cause: Error }).cause
		expect(reason.message).toContain('secrets function failed: Error')
		// Only the failure's name: its message may quote what the function was parsing.
		expect(reason.cause).toBeUndefined()
		expect(JSON.stringify(h.logged, Object.getOwnPropertyNames(reason))).not.toContain(
			'vault sealed',
		)
	})

	it('throwing a value that is not an Error is a 503 naming only its type', async () => {
		const clock = fakeClock()
		const h = harness({
			secrets: async () => {
				throw 'vault sealed'
			},
			now: clock.now,
		})
		const event = signedEvent({ secret: 's', body, tenantId: 'acme', timestamp: clock.date() })
		expect(await h.handler(event)).toEqual(unavailableResponse())
		expect((h.logged[0] as { cause: Error }).cause.message).toMatch(
			/secrets function failed: string$/,
		)
	})

	it('returning no usable secret is a configuration error (500)', async () => {
		const clock = fakeClock()
		for (const value of ['', [], [''], 42]) {
			const h = harness({ secrets: async () => value as never, now: clock.now })
			const event = signedEvent({ secret: 's', body, tenantId: 'acme', timestamp: clock.date() })
			expect(await h.handler(event)).toEqual({ statusCode: 500, headers: {} })
			expect(lastReason(h)).toBe('hmac_secret_malformed')
		}
	})

	it('throwing SecretFormatError is a configuration error (500, remembered), not an outage', async () => {
		// A function that parses its own store reports a malformed secret as the exported error:
		// a 503 would have senders retry a secret that no retry can fix, and fetch it per request.
		const clock = fakeClock()
		let loads = 0
		const h = harness({
			secrets: async (tenantId) => {
				loads++
				throw new SecretFormatError(tenantId, 'is not base64')
			},
			now: clock.now,
		})
		for (let i = 0; i < 3; i++) {
			const event = signedEvent({ secret: 's', body, tenantId: 'acme', timestamp: clock.date() })
			expect(await h.handler(event)).toEqual({ statusCode: 500, headers: {} })
			expect(lastReason(h)).toBe('hmac_secret_malformed')
		}
		expect(loads).toBe(1)
	})
})

describe('Secrets Manager failures', () => {
	it.each([
		['throttle', { type: 'throttle' }],
		['server-error', { type: 'server-error' }],
		['malformed', { type: 'malformed' }],
		['down', { type: 'down' }],
		['access-denied', { type: 'access-denied' }],
	] as const)('%s with nothing cached: 503 with Retry-After, handler not run', async (_, fault) => {
		const { h, sign, prefix } = setup()
		local.secretsManager.faults.inject(fault, { target: `${prefix}/acme` })
		expect(await h.handler(signedEvent(sign()))).toEqual(unavailableResponse())
		expect(h.seen).toEqual([])
		expect(lastReason(h)).toBe('hmac_secret_unavailable')
	})

	it('backs off after a failed fetch: fast 503s without fetching, then one fetch again', async () => {
		const { h, sign, clock, prefix, calls } = setup()
		local.secretsManager.faults.inject(
			{ type: 'server-error' },
			{ target: `${prefix}/acme`, times: 1 },
		)
		expect(await h.handler(signedEvent(sign()))).toEqual(unavailableResponse())
		const during = await Promise.all(
			Array.from({ length: 20 }, () => h.handler(signedEvent(sign()))),
		)
		expect(during.every((response) => response.statusCode === 503)).toBe(true)
		expect(calls()).toBe(1)
		clock.advance(1_000)
		expect((await h.handler(signedEvent(sign()))).statusCode).toBe(200)
		expect(calls()).toBe(2)
	})

	it.each([
		['throttle', { type: 'throttle' }],
		['server-error', { type: 'server-error' }],
		['malformed', { type: 'malformed' }],
		['down', { type: 'down' }],
	] as const)(
		'%s with a cached secret within staleIfErrorMs: keeps verifying',
		async (_, fault) => {
			const { h, sign, clock, prefix, calls } = setup({
				cache: { ttlMs: 60_000, staleIfErrorMs: 600_000 },
			})
			expect((await h.handler(signedEvent(sign()))).statusCode).toBe(200)
			local.secretsManager.faults.inject(fault, { target: `${prefix}/acme` })
			clock.advance(61_000)
			expect((await h.handler(signedEvent(sign()))).statusCode).toBe(200)
			clock.advance(500_000)
			expect((await h.handler(signedEvent(sign()))).statusCode).toBe(200)
			expect(calls()).toBe(3)
			clock.advance(100_000)
			expect(await h.handler(signedEvent(sign()))).toEqual(unavailableResponse())
		},
	)

	it('a response slower than the client timeout, with a cached secret: keeps verifying', async () => {
		const prefix = seeded()
		const clock = fakeClock()
		const fast = local.secretsManager.client({
			maxAttempts: 1,
			requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
		})
		const h = harness({
			secrets: { prefix, client: fast },
			now: clock.now,
			cache: { ttlMs: 60_000 },
		})
		const send = () =>
			h.handler(
				signedEvent({ secret: 'acme-secret', body, tenantId: 'acme', timestamp: clock.date() }),
			)
		expect((await send()).statusCode).toBe(200)
		local.secretsManager.faults.inject({ type: 'delay', ms: 2_000 }, { target: `${prefix}/acme` })
		clock.advance(60_000)
		expect((await send()).statusCode).toBe(200)
		expect(local.secretsManager.calls(`${prefix}/acme`)).toBe(2)
	})

	it('a response slower than the default client timeout is a 503 (the default client throws on timeout)', async () => {
		const prefix = seeded()
		const saved = { ...process.env }
		Object.assign(process.env, {
			AWS_ENDPOINT_URL_SECRETS_MANAGER: local.secretsManager.endpoint,
			AWS_REGION: local.secretsManager.region,
			AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
			AWS_SECRET_ACCESS_KEY: 'local',
		})
		try {
			const clock = fakeClock()
			const h = harness({ secrets: { prefix }, now: clock.now })
			const sign = { secret: 'acme-secret', body, tenantId: 'acme', timestamp: clock.date() }
			expect((await h.handler(signedEvent(sign))).statusCode).toBe(200)
			local.secretsManager.faults.inject(
				{ type: 'delay', ms: 5_000 },
				{ target: `${prefix}/globex` },
			)
			const response = await h.handler(
				signedEvent({ ...sign, secret: 'globex-secret', tenantId: 'globex' }),
			)
			expect(response).toEqual(unavailableResponse())
			expect(local.secretsManager.calls(`${prefix}/globex`)).toBe(2)
			expect(String((h.logged[0] as { cause: Error }).cause.message)).toMatch(/TimeoutError/)
		} finally {
			process.env = saved
		}
	})
})

describe('with vitest fake timers instead of a now option', () => {
	it('applies the tolerance and the TTL on the faked clock', async () => {
		const prefix = seeded()
		const h = harness({ secrets: { prefix, client: local.client }, cache: { ttlMs: 60_000 } })
		vi.useFakeTimers({ now: Date.UTC(2026, 10, 23, 10, 0, 0), toFake: ['Date'] })
		try {
			const send = (offsetMs = 0) =>
				h.handler(
					signedEvent({
						secret: 'acme-secret',
						body,
						tenantId: 'acme',
						timestamp: new Date(Date.now() + offsetMs),
					}),
				)
			expect((await send()).statusCode).toBe(200)
			const event = signedEvent({
				secret: 'acme-secret',
				body,
				tenantId: 'acme',
				timestamp: new Date(),
			})
			vi.advanceTimersByTime(300_000)
			expect((await h.handler(event)).statusCode).toBe(401)
			expect((await send()).statusCode).toBe(200)
			expect(local.secretsManager.calls(`${prefix}/acme`)).toBe(2)
		} finally {
			vi.useRealTimers()
		}
	})
})
