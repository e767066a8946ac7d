import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { awsClients } from '../src/index.js'
import {
	crossTenantRead,
	ownRead,
	pipeline,
	type Stack,
	startStack,
	table,
	tenantDynamoDbOptions,
	withMaxConcurrency,
} from './harness.js'

/**
 * Without `concurrentInvocations`: one record of the request being served, Lambda's usual model
 * of one request at a time per sandbox. Until its last test, no awsClients in this file asks
 * for per-async-context tracking, which holds for the rest of the process once asked for (see
 * `concurrent-invocations.test.ts`).
 */
let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

describe('invocations that overlap without concurrentInvocations', () => {
	it("refuse acme's cross-tenant read: the record names globex's request, so acme's client is another tenant's", async () => {
		const { run, both } = crossTenantRead(stack, false)
		const [acme, globex] = await both
		expect({ acme: acme.statusCode, globex: globex.statusCode }).toEqual({ acme: 403, globex: 200 })
		expect(run.violations).toEqual([
			expect.objectContaining({
				code: 'client_of_another_tenant',
				tenant: 'globex',
				claimedTenant: 'acme',
			}),
		])
		expect(stack.dynamodb.requests.filter((r) => r.operation === 'GetItem')).toEqual([])
	})

	it("fail closed: acme's own read is refused while globex's request is the one on record", async () => {
		const { run, both } = ownRead(stack, false)
		const [acme, globex] = await both
		expect({ acme: acme.statusCode, globex: globex.statusCode }).toEqual({ acme: 403, globex: 200 })
		expect(run.violations).toEqual([
			expect.objectContaining({ code: 'client_of_another_tenant', tenant: 'globex' }),
		])
		expect({ sent: stack.dynamodb.requests.length, stsCalls: stack.sts.assumeRoleCalls }).toEqual({
			sent: 0,
			stsCalls: [],
		})
	})

	it('keep one record where Lambda serves one request at a time', async () => {
		const { run, both } = crossTenantRead(stack)
		await both
		expect(run.violations).toEqual([expect.objectContaining({ requestId: 'req-globex' })])
	})

	it('keep one record when an explicit concurrentInvocations: false wins over AWS_LAMBDA_MAX_CONCURRENCY', () =>
		withMaxConcurrency('64', async () => {
			const { run, both } = crossTenantRead(stack, false)
			await both
			expect(run.violations).toEqual([expect.objectContaining({ requestId: 'req-globex' })])
		}))

	// Last in this file: from here on the process tracks requests per async context.
	it('keep the request in flight when an awsClients with concurrentInvocations is built during it (a route imported lazily)', async () => {
		const run = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			awsClients(tenantDynamoDbOptions(stack, { concurrentInvocations: true }))
			return context.clients.dynamodb
				.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: context.tenant.key('item', '1') }, sk: { S: '1' } },
					}),
				)
				.then(
					() => 'sent',
					(error: { statusCode?: number }) => error.statusCode,
				)
		})
		const acme = await run.invoke('acme')
		expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([200, 'sent'])
	})
})
