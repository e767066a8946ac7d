import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	pipeline,
	type Stack,
	startStack,
	table,
	tenantDynamoDbOptions,
	tenantOfRequest,
} from './harness.js'

/**
 * The SDK's `cacheMiddleware: true` resolves a client's middleware stack once per command class
 * and reuses the handler for every later send, where by default the stack is sorted and rebuilt
 * on each one. The tenant clients' checks (request binding, guard, outages) must hold for the
 * sends after the first too: they are built into the cached handler, and must read the request
 * and the input of each send rather than of the one that built it. Against dynalite and the STS
 * endpoint.
 */
let stack: Stack

beforeAll(async () => {
	stack = await startStack()
	for (const pk of ['TENANT#acme#item', 'TENANT#globex#item']) {
		await stack.admin.send(
			new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: '1' } } }),
		)
	}
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

const getItem = (pk: string) =>
	new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: '1' } } })

const cachingOptions = (extra: Parameters<typeof tenantDynamoDbOptions>[1] = {}) =>
	tenantDynamoDbOptions(stack, { config: { cacheMiddleware: true }, ...extra })

describe('tenant clients with the SDK handler cache (cacheMiddleware: true)', () => {
	it('refuses a cross-tenant key on a send after one that built the cached handler', async () => {
		let wanted = 'TENANT#acme#item'
		const run = pipeline(cachingOptions(), async (context) => {
			// The setting reaches the tenant client, or nothing here is cached.
			expect(context.clients.dynamodb.config.cacheMiddleware).toBe(true)
			const { Item } = await context.clients.dynamodb.send(getItem(wanted))
			return Item?.pk?.S ?? null
		})
		const own = await run.invoke('acme')
		wanted = 'TENANT#globex#item'
		const sentBefore = stack.dynamodb.requests.length
		const foreign = await run.invoke('acme')
		expect({
			own: [own.statusCode, JSON.parse(own.body)],
			foreign: foreign.statusCode,
			sent: stack.dynamodb.requests.length - sentBefore,
			violations: run.violations.map(({ code, tenant }) => ({ code, tenant })),
		}).toEqual({
			own: [200, 'TENANT#acme#item'],
			foreign: 403,
			sent: 0,
			violations: [{ code: 'dynamodb_cross_tenant_key', tenant: 'acme' }],
		})
	})

	it("refuses another tenant's request through a kept client whose handler is cached", async () => {
		let kept: DynamoDBClient | undefined
		const run = pipeline(cachingOptions(), async (context) => {
			kept ??= context.clients.dynamodb
			const { Item } = await kept.send(getItem('TENANT#acme#item'))
			return Item?.pk?.S ?? null
		})
		const acme = await run.invoke('acme')
		const sentBefore = stack.dynamodb.requests.length
		const globex = await run.invoke('globex')
		const acmeAgain = await run.invoke('acme')
		expect({
			acme: acme.statusCode,
			globex: globex.statusCode,
			sentForGlobex: stack.dynamodb.requests.length - sentBefore - 1,
			acmeAgain: acmeAgain.statusCode,
			violations: run.violations.map(({ code, tenant }) => ({ code, tenant })),
		}).toEqual({
			acme: 200,
			globex: 403,
			sentForGlobex: 0,
			acmeAgain: 200,
			violations: [{ code: 'client_of_another_tenant', tenant: 'globex' }],
		})
	})

	it('answers an outage 503 with Retry-After on a send after the first', async () => {
		const run = pipeline(cachingOptions({ outages: { retryAfterSec: 7 } }), async (context) => {
			const { Item } = await context.clients.dynamodb.send(getItem('TENANT#acme#item'))
			return Item?.pk?.S ?? null
		})
		expect((await run.invoke('acme')).statusCode).toBe(200)
		stack.dynamodb.faults.inject({ type: 'server-error' }, { target: 'GetItem' })
		const down = await run.invoke('acme')
		expect({ status: down.statusCode, retryAfter: down.headers?.['Retry-After'] }).toEqual({
			status: 503,
			retryAfter: '7',
		})
	})

	it("signs each tenant's sends with that tenant's session", async () => {
		const run = pipeline(cachingOptions(), async (context) => {
			const { Item } = await context.clients.dynamodb.send(
				getItem(`${context.tenant.keyPrefix}item`),
			)
			return Item?.pk?.S ?? null
		})
		const answers: unknown[] = []
		for (const tenant of ['acme', 'globex', 'acme', 'globex']) {
			const response = await run.invoke(tenant)
			answers.push([response.statusCode, JSON.parse(response.body)])
		}
		expect({
			answers,
			signers: stack.dynamodb.requests.map(({ accessKeyId }) =>
				tenantOfRequest(stack, accessKeyId),
			),
		}).toEqual({
			answers: [
				[200, 'TENANT#acme#item'],
				[200, 'TENANT#globex#item'],
				[200, 'TENANT#acme#item'],
				[200, 'TENANT#globex#item'],
			],
			signers: ['acme', 'globex', 'acme', 'globex'],
		})
	})
})
