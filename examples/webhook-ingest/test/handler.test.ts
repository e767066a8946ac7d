import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import secretsManager, { secret } from '@middy/secrets-manager'
import { lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import {
	eventsTable,
	pseudonymKeySecretId,
	signedDelivery,
	tenantSecrets,
	webhookIngestPerFile,
} from './local-webhook-ingest.js'

const secrets = tenantSecrets
const local = webhookIngestPerFile(secrets)
beforeEach(() => local.stack.secretsManager.faults.clear())

let sequence = 0
const webhook = (overrides: Record<string, unknown> = {}) => ({
	id: `evt-${++sequence}`,
	type: 'invoice.paid',
	data: { amount: 4200, email: 'Jane@Example.com' },
	...overrides,
})

const deliver = async (
	tenant: string,
	body: string,
	options: { secret?: string; timestamp?: Date; tenantHeader?: string } = {},
): Promise<APIGatewayProxyStructuredResultV2> => {
	const secret = options.secret ?? secrets[tenant as keyof typeof secrets] ?? 'unknown'
	const event = signedDelivery(tenant, secret, body, options)
	return (await local.handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2
}

const storedEvent = (tenant: string, id: string) =>
	local.stack.dynamodb.client().send(
		new GetItemCommand({
			TableName: eventsTable,
			Key: { pk: { S: `TENANT#${tenant}#EVENT#${id}` }, sk: { S: 'EVENT' } },
		}),
	)

describe('webhook-ingest', () => {
	it('stores a verified delivery once, under the signer tenant, with the e-mail pseudonymised', async () => {
		const event = webhook()
		const response = await deliver('acme', JSON.stringify(event))
		expect(response).toMatchObject({
			statusCode: 202,
			body: JSON.stringify({ received: event.id }),
		})
		const { Item } = await storedEvent('acme', event.id)
		expect(Item?.type).toEqual({ S: 'invoice.paid' })
		expect(JSON.parse(Item?.data?.S ?? '')).toEqual({ amount: 4200 })
		expect(Item?.sender?.S).toMatch(/^[0-9a-f]{64}$/)
		expect(JSON.stringify(Item)).not.toContain('example.com')
	})

	it('pseudonymises per tenant: one e-mail, one pseudonym within a tenant, another in each tenant', async () => {
		const senderOf = async (tenant: string, email: string) => {
			const event = webhook({ data: { email } })
			expect((await deliver(tenant, JSON.stringify(event))).statusCode).toBe(202)
			return (await storedEvent(tenant, event.id)).Item?.sender?.S
		}
		const acme = await senderOf('acme', 'Jane@Example.com')
		expect(await senderOf('acme', 'jane@example.com')).toBe(acme)
		expect(await senderOf('acme', 'john@example.com')).not.toBe(acme)
		expect(await senderOf('globex', 'Jane@Example.com')).not.toBe(acme)
	})

	it("keeps the tenant and the e-mail apart in the pseudonym: acme's co1@… and acmeco's 1@… differ", async () => {
		// Without a separator both would be the keyed hash of "acmeco1@example.com".
		local.stack.secretsManager.putSecret('tenants/acmeco', { shared_secret: 'acmeco-secret' })
		const senderOf = async (tenant: string, email: string, secret?: string) => {
			const event = webhook({ data: { email } })
			const delivered = await deliver(tenant, JSON.stringify(event), secret ? { secret } : {})
			expect(delivered.statusCode).toBe(202)
			return (await storedEvent(tenant, event.id)).Item?.sender?.S
		}
		const acme = await senderOf('acme', 'co1@example.com')
		expect(acme).toEqual(expect.any(String))
		expect(await senderOf('acmeco', '1@example.com', 'acmeco-secret')).not.toBe(acme)
	})

	it.each([[null], [42], [['jane@example.com']]])(
		'stores an event whose e-mail is %j, not text, without it and without a sender',
		async (email) => {
			const event = webhook({ data: { amount: 1, email } })
			expect((await deliver('acme', JSON.stringify(event))).statusCode).toBe(202)
			const { Item } = await storedEvent('acme', event.id)
			expect(JSON.parse(Item?.data?.S ?? '')).toEqual({ amount: 1 })
			expect(Item?.sender).toBeUndefined()
		},
	)

	it('refuses a replayed delivery (401), and stores a re-signed retry only once', async () => {
		const event = webhook()
		const body = JSON.stringify(event)
		const delivery = signedDelivery('acme', secrets.acme, body)
		// The body parser replaces the event's body: each send gets its own copy of the delivery.
		const send = () => local.handler(structuredClone(delivery), lambdaContext())
		expect(await send()).toMatchObject({ statusCode: 202 })
		expect(await send()).toMatchObject({ statusCode: 401, body: 'Unauthorized' })
		// A sender's retry carries a new timestamp, so a new signature; the event id dedupes it.
		expect(
			(await deliver('acme', body, { timestamp: new Date(Date.now() + 1_000) })).statusCode,
		).toBe(202)
		const { Items } = await local.stack.dynamodb
			.client()
			.send(new ScanCommand({ TableName: eventsTable }))
		expect(Items?.filter((item) => item.pk?.S === `TENANT#acme#EVENT#${event.id}`)).toHaveLength(1)
	})

	it('keeps the first delivery of an event id: a re-signed one with other data is answered 202 and changes nothing', async () => {
		const first = webhook({ data: { amount: 1 } })
		expect((await deliver('acme', JSON.stringify(first))).statusCode).toBe(202)
		const resent = { ...first, data: { amount: 2 } }
		const later = { timestamp: new Date(Date.now() + 1_000) }
		expect((await deliver('acme', JSON.stringify(resent), later)).statusCode).toBe(202)
		const { Item } = await storedEvent('acme', first.id)
		expect(JSON.parse(Item?.data?.S ?? '')).toEqual({ amount: 1 })
	})

	it('answers every credential failure with the same 401', async () => {
		const body = JSON.stringify(webhook())
		const responses = [
			await deliver('acme', body, { secret: secrets.globex }),
			await deliver('umbrella', body),
			await deliver('acme', body, { timestamp: new Date(Date.now() - 10 * 60 * 1000) }),
			await deliver('acme', body, { tenantHeader: '../acme' }),
		]
		for (const response of responses) {
			expect(response).toMatchObject({
				statusCode: 401,
				body: 'Unauthorized',
				headers: { 'WWW-Authenticate': 'HMAC realm="api"' },
			})
		}
	})

	it('refuses a payload naming another tenant than its signer (403), writing nothing', async () => {
		const event = webhook({ tenantId: 'globex' })
		expect((await deliver('acme', JSON.stringify(event))).statusCode).toBe(403)
		expect((await storedEvent('globex', event.id)).Item).toBeUndefined()
		expect((await storedEvent('acme', event.id)).Item).toBeUndefined()
	})

	it('keeps verifying from a cached secret while Secrets Manager is down, 503 without one', async () => {
		expect((await deliver('globex', JSON.stringify(webhook()))).statusCode).toBe(202)
		local.stack.secretsManager.faults.inject({ type: 'server-error' })
		expect((await deliver('globex', JSON.stringify(webhook()))).statusCode).toBe(202)
		const cold = await deliver('initech', JSON.stringify(webhook()))
		expect(cold).toMatchObject({ statusCode: 503 })
		expect(Number(cold.headers?.['Retry-After'])).toBeGreaterThan(0)
	})

	it('fetches the app-wide secret once per container; warm deliveries fetch nothing', async () => {
		expect(local.stack.secretsManager.calls(pseudonymKeySecretId)).toBe(1)
		local.stack.secretsManager.resetCalls()
		for (let i = 0; i < 5; i++)
			expect((await deliver('acme', JSON.stringify(webhook()))).statusCode).toBe(202)
		expect(local.stack.secretsManager.calls()).toBe(0)
	})

	it('keeps the app-wide secret for the life of the container: an hour on, a delivery fetches it not again', async () => {
		expect((await deliver('acme', JSON.stringify(webhook()))).statusCode).toBe(202)
		local.stack.secretsManager.resetCalls()
		vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_600_000 })
		try {
			expect((await deliver('acme', JSON.stringify(webhook()))).statusCode).toBe(202)
		} finally {
			vi.useRealTimers()
		}
		expect(local.stack.secretsManager.calls(pseudonymKeySecretId)).toBe(0)
	})

	it('keeps the app-wide secret out of another secretsManager() of the bundle left on the default cache key', async () => {
		expect((await deliver('acme', JSON.stringify(webhook()))).statusCode).toBe(202)
		local.stack.secretsManager.putSecret('other-app-secret', 'other-value')
		const other = middy(async (_event: unknown, context: Record<string, unknown>) => ({
			other: context.otherValue,
			pseudonymKey: context.pseudonymKey,
		})).use(
			secretsManager({
				fetchData: { otherValue: secret<string>('other-app-secret') },
				setToContext: true,
				disablePrefetch: true,
			}),
		)
		expect(await other({}, lambdaContext())).toEqual({
			other: 'other-value',
			pseudonymKey: undefined,
		})
	})

	it('stores when the event was received', async () => {
		const before = Date.now()
		const event = webhook()
		expect((await deliver('acme', JSON.stringify(event))).statusCode).toBe(202)
		const receivedAt = Date.parse((await storedEvent('acme', event.id)).Item?.receivedAt?.S ?? '')
		expect(receivedAt).toBeGreaterThanOrEqual(before)
		expect(receivedAt).toBeLessThanOrEqual(Date.now())
	})

	it('answers 503 with Retry-After, not 500, while DynamoDB fails, storing nothing; the retry is stored', async () => {
		const event = webhook()
		const body = JSON.stringify(event)
		local.stack.dynamodb.faults.inject({ type: 'server-error' }, { target: eventsTable })
		try {
			expect(await deliver('acme', body)).toMatchObject({
				statusCode: 503,
				body: 'Service Unavailable',
				headers: { 'Retry-After': '5' },
			})
		} finally {
			local.stack.dynamodb.faults.clear()
		}
		expect((await storedEvent('acme', event.id)).Item).toBeUndefined()
		const retry = { timestamp: new Date(Date.now() + 1_000) }
		expect((await deliver('acme', body, retry)).statusCode).toBe(202)
		expect((await storedEvent('acme', event.id)).Item).toBeDefined()
	})

	it('stores the identical re-send of a delivery answered 503, rather than refuse it as a replay', async () => {
		const event = webhook()
		const delivery = signedDelivery('acme', secrets.acme, JSON.stringify(event))
		const send = async () =>
			(await local.handler(
				structuredClone(delivery),
				lambdaContext(),
			)) as APIGatewayProxyStructuredResultV2
		local.stack.dynamodb.faults.inject({ type: 'server-error' }, { target: eventsTable })
		try {
			expect(await send()).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } })
		} finally {
			local.stack.dynamodb.faults.clear()
		}
		expect((await send()).statusCode).toBe(202)
		expect((await send()).statusCode).toBe(401)
		expect((await storedEvent('acme', event.id)).Item).toBeDefined()
	})

	it('answers 422 for a verified body that is not a webhook', async () => {
		expect((await deliver('acme', JSON.stringify({ hello: 'world' }))).statusCode).toBe(422)
	})

	it.each(['null', '"invoice.paid"', '42'])(
		'answers 422 for a verified body of JSON %s, no object at all',
		async (body) => {
			expect((await deliver('acme', body)).statusCode).toBe(422)
		},
	)

	it.each([
		['an id with a character outside [A-Za-z0-9_-]', { id: 'evt/1' }],
		['an id of 129 characters', { id: 'e'.repeat(129) }],
		['a type of 129 characters', { type: 't'.repeat(129) }],
		['data that is an array', { data: [{ email: 'jane@example.com' }] }],
		['data that is null', { data: null }],
		['data that is text', { data: 'jane@example.com' }],
	])('answers 422 for a webhook with %s, storing nothing', async (_name, overrides) => {
		const event = webhook(overrides)
		expect((await deliver('acme', JSON.stringify(event))).statusCode).toBe(422)
		const { Items } = await local.stack.dynamodb
			.client()
			.send(new ScanCommand({ TableName: eventsTable }))
		expect(Items?.filter((item) => item.pk?.S?.endsWith(`#EVENT#${event.id}`))).toEqual([])
	})

	it('stores a webhook whose id and type are 128 characters, the most it takes', async () => {
		const event = webhook({ id: `evt-${'e'.repeat(124)}`, type: 't'.repeat(128) })
		expect((await deliver('acme', JSON.stringify(event))).statusCode).toBe(202)
		expect((await storedEvent('acme', event.id)).Item?.type).toEqual({ S: event.type })
	})
})
