import { createHmac } from 'node:crypto'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
	type LocalDynamoDb,
	type LocalSecretsManager,
	restApiEvent,
	startDynamoDb,
	startSecretsManager,
} from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dynamoReplayStore, signRequest } from '../src/index.js'
import {
	fakeClock,
	freshPrefix,
	harness,
	lastReason,
	signedEvent,
	start,
	unauthorizedResponse,
} from './helpers.js'

let secretsManager: LocalSecretsManager
let dynamodb: LocalDynamoDb
let dynamoClient: DynamoDBClient
const tableName = 'hostile-replay'

beforeAll(async () => {
	;[secretsManager, dynamodb] = await Promise.all([startSecretsManager(), startDynamoDb()])
	dynamoClient = dynamodb.client({ maxAttempts: 1 })
	await dynamodb.createTable(tableName)
})
afterAll(async () => {
	await Promise.all([secretsManager.stop(), dynamodb.stop()])
})

let counter = 0
let body = ''
let prefix = ''
beforeEach(() => {
	dynamodb.clearRequests()
	body = JSON.stringify({ order: ++counter })
	prefix = freshPrefix()
	secretsManager.putSecret(`${prefix}/acme`, { shared_secret: 'acme-secret' })
})

const setup = (maxBodyBytes = 1024) => {
	const clock = fakeClock()
	const h = harness({
		secrets: { prefix, client: secretsManager.client({ maxAttempts: 1 }) },
		replayStore: dynamoReplayStore({ tableName, client: dynamoClient }),
		maxBodyBytes,
		now: clock.now,
	})
	const valid = () =>
		signRequest({ secret: 'acme-secret', body, tenantId: 'acme', timestamp: clock.date() })
	return { h, clock, valid }
}

/** Nothing happened: no handler, no secret fetch, no replay record. */
const expectUntouched = (h: ReturnType<typeof harness>, { fetched = false } = {}) => {
	expect(h.seen).toEqual([])
	if (!fetched) expect(secretsManager.calls(`${prefix}/acme`)).toBe(0)
	expect(dynamodb.requests.filter((request) => request.operation === 'UpdateItem')).toEqual([])
}

const withHeaders = (headers: Record<string, string | undefined>) => {
	const event = signedEvent({
		secret: 'acme-secret',
		body,
		tenantId: 'acme',
		timestamp: new Date(start),
	})
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined) delete event.headers[name]
		else event.headers[name] = value
	}
	return event
}

describe('missing and empty credentials', () => {
	it.each([
		['x-tenant-id', undefined],
		['x-timestamp', undefined],
		['x-signature', undefined],
		['x-tenant-id', ''],
		['x-timestamp', ''],
		['x-signature', ''],
		['x-signature', ' '],
		['x-timestamp', ' '],
	])('%s = %j: 401, nothing fetched', async (name, value) => {
		const { h } = setup()
		expect(await h.handler(withHeaders({ [name]: value }))).toEqual(unauthorizedResponse())
		expectUntouched(h)
	})

	it('answers 401 to events without headers, or that are not objects at all', async () => {
		const { h } = setup()
		for (const event of [{}, { headers: null }, { headers: {}, body: null }, null, 'GET /', 42]) {
			expect(await h.handler(event)).toEqual(unauthorizedResponse())
		}
		expectUntouched(h)
	})

	it('reads a repeated credential header as one malformed value, never the first or last copy', async () => {
		const { h, valid } = setup()
		const headers = valid()
		const event = restApiEvent({ method: 'POST', body, headers })
		event.multiValueHeaders['x-signature'] = [
			headers['x-signature'] ?? '',
			headers['x-signature'] ?? '',
		]
		expect(await h.handler(event)).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_malformed_signature')
		const tenants = restApiEvent({ method: 'POST', body, headers })
		tenants.multiValueHeaders['x-tenant-id'] = ['acme', 'globex']
		expect(await h.handler(tenants)).toEqual(unauthorizedResponse())
		expectUntouched(h)
	})

	it('reads a credential header sent under two spellings as one malformed value', async () => {
		const { h, valid } = setup()
		const headers = valid()
		const twice = { ...headers, 'X-Signature': headers['x-signature'] ?? '' }
		const multiValue = restApiEvent({ method: 'POST', body, headers: twice })
		const singleValue = { ...multiValue, multiValueHeaders: {} }
		for (const event of [multiValue, singleValue]) {
			expect(await h.handler(event)).toEqual(unauthorizedResponse())
			expect(lastReason(h)).toBe('hmac_malformed_signature')
		}
		const tenants = restApiEvent({
			method: 'POST',
			body,
			headers: { ...headers, 'X-Tenant-Id': 'globex' },
		})
		expect(await h.handler(tenants)).toEqual(unauthorizedResponse())
		expectUntouched(h)
	})
})

describe('garbage signatures', () => {
	const hex = 'a'.repeat(64)
	it.each([
		['upper-case hex', 'A'.repeat(64)],
		['non-hex', 'g'.repeat(64)],
		['63 characters', hex.slice(1)],
		['65 characters', `${hex}a`],
		['SHA-512 length', 'a'.repeat(128)],
		['0x prefix', `0x${hex.slice(2)}`],
		['sha256= prefix', `sha256=${hex}`],
		['base64', Buffer.alloc(32).toString('base64')],
		['unicode digits', '٠'.repeat(64)],
		['NUL bytes', '\u0000'.repeat(64)],
		['1 MB', 'a'.repeat(1_048_576)],
	])('%s: 401 before any secret is fetched', async (_, signature) => {
		const { h } = setup()
		expect(await h.handler(withHeaders({ 'x-signature': signature }))).toEqual(
			unauthorizedResponse(),
		)
		expect(lastReason(h)).toBe('hmac_malformed_signature')
		expectUntouched(h)
	})

	it('a well-formed wrong signature: 401 after one fetch, not recorded', async () => {
		const { h } = setup()
		expect(await h.handler(withHeaders({ 'x-signature': hex }))).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_signature_mismatch')
		expectUntouched(h, { fetched: true })
	})
})

describe('hostile tenant ids', () => {
	it.each([
		'../acme',
		'acme/../globex',
		'acme/',
		'..',
		'*',
		'acme*',
		'%2e%2e%2facme',
		'аcme',
		'ａｃｍｅ',
		'acme\n',
		'acme\u0000',
		' acme',
		'-acme',
		'_acme',
		'acme#1',
		'acme:1',
		'a'.repeat(65),
		'a'.repeat(1_048_576),
	])('%j: 401, never used in a secret name or cache key', async (tenantId) => {
		const { h, clock } = setup()
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		event.headers['x-tenant-id'] = tenantId
		const calls = secretsManager.calls()
		expect(await h.handler(event)).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_invalid_tenant_id')
		expect(secretsManager.calls()).toBe(calls)
		expectUntouched(h)
	})
})

describe('timestamp edge cases', () => {
	it.each([
		['far past', '0'],
		['far future', '99999999999'],
		['milliseconds', String(start)],
		['negative', String(-start / 1000)],
		['fraction of a second', `${start / 1000}.5`],
		['exponent', '1.795e9'],
		['offset instead of Z', '2026-11-23T10:00:00+00:00'],
		['lower-case z', '2026-11-23T10:00:00z'],
		['leap second', '2026-11-23T23:59:60Z'],
		['30th of February', '2026-02-30T10:00:00Z'],
		['RFC 1123', 'Mon, 23 Nov 2026 10:00:00 GMT'],
		['date only', '2026-11-23'],
		['year 9999', '9999-12-31T23:59:59Z'],
		['huge', '1'.repeat(100_000)],
		['exactly the tolerance in the past', String(start / 1000 - 300)],
		['exactly the tolerance in the future', String(start / 1000 + 300)],
	])('%s: 401, even when correctly signed', async (_, timestamp) => {
		const { h } = setup()
		const signature = createHmac('sha256', 'acme-secret')
			.update(`${timestamp}\n${body}`)
			.digest('hex')
		const event = withHeaders({ 'x-timestamp': timestamp, 'x-signature': signature })
		expect(await h.handler(event)).toEqual(unauthorizedResponse())
		expect(['hmac_malformed_timestamp', 'hmac_timestamp_out_of_tolerance']).toContain(lastReason(h))
		expectUntouched(h)
	})

	it('just inside the tolerance: accepted', async () => {
		const { h } = setup()
		for (const timestamp of [String(start / 1000 - 299), '2026-11-23T10:04:59.999Z']) {
			const event = signedEvent({
				secret: 'acme-secret',
				body: `${body}${timestamp}`,
				tenantId: 'acme',
				timestamp,
			})
			expect((await h.handler(event)).statusCode).toBe(200)
		}
	})
})

describe('bodies', () => {
	const payloadTooLarge = {
		statusCode: 413,
		body: 'Payload Too Large',
		headers: { 'Content-Type': 'text/plain' },
	}

	it('accepts a body of exactly maxBodyBytes', async () => {
		const { h, clock } = setup(1024)
		body = 'x'.repeat(1024)
		const event = signedEvent({
			secret: 'acme-secret',
			body,
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		expect((await h.handler(event)).statusCode).toBe(200)
	})

	it.each([
		['one byte over', (): string | Buffer => 'x'.repeat(1025)],
		['multi-byte characters over in bytes, under in length', () => 'é'.repeat(600)],
		['emoji over in bytes', () => '😀'.repeat(300)],
		['base64 decoding to more', () => Buffer.alloc(1025, 1)],
		['10 MB', () => 'x'.repeat(10 * 1_048_576)],
	])('%s: 413 before any secret is fetched or HMAC computed', async (_, make) => {
		const { h, clock } = setup(1024)
		const payload = make()
		const event = signedEvent(
			{ secret: 'acme-secret', body: payload, tenantId: 'acme', timestamp: clock.date() },
			{ body: payload },
		)
		expect(await h.handler(event)).toEqual(payloadTooLarge)
		expect(lastReason(h)).toBe('hmac_body_too_large')
		expectUntouched(h)
	})

	it('base64 text too long to be within maxBodyBytes: 413 whatever it decodes to', async () => {
		// Characters outside the alphabet decode to nothing: only the text's length is checked.
		const { h, clock } = setup(1024)
		const event = signedEvent({
			secret: 'acme-secret',
			body: '',
			tenantId: 'acme',
			timestamp: clock.date(),
		})
		Object.assign(event, { body: '!'.repeat(1_376), isBase64Encoded: true })
		expect(await h.handler(event)).toEqual(payloadTooLarge)
		expect(lastReason(h)).toBe('hmac_body_too_large')
		expectUntouched(h)
	})

	it('answers 413 even without credentials: the size is checked first', async () => {
		const { h } = setup(1024)
		const event = withHeaders({ 'x-signature': undefined })
		event.body = 'x'.repeat(2048)
		expect(await h.handler(event)).toEqual(payloadTooLarge)
	})

	it.each([
		['an object', { order: 1 }],
		['a number', 42],
		['an array', [1]],
		['a Buffer', Buffer.from('x')],
	])('a body already parsed into %s is a configuration error (plain 500)', async (_, parsed) => {
		const { h } = setup()
		const event = { ...withHeaders({}), body: parsed }
		expect(await h.handler(event)).toEqual({ statusCode: 500, headers: {} })
		expect(lastReason(h)).toBe('hmac_body_already_parsed')
		expectUntouched(h)
	})
})

describe('replays', () => {
	it('the same signed request twice: 401 the second time, identical to any other 401', async () => {
		const { h, valid } = setup()
		const event = withHeaders(valid())
		expect((await h.handler(event)).statusCode).toBe(200)
		expect(await h.handler(structuredClone(event))).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_replayed_request')
		expect(h.seen).toHaveLength(1)
	})

	it('changing the timestamp to dodge the replay store breaks the signature', async () => {
		const { h, valid, clock } = setup()
		const event = withHeaders(valid())
		expect((await h.handler(event)).statusCode).toBe(200)
		clock.advance(1_000)
		const replay = withHeaders({ ...valid(), 'x-signature': event.headers['x-signature'] })
		expect(await h.handler(replay)).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_signature_mismatch')
	})
})
