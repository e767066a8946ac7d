import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pipeline, type Stack, startStack, table, tenantDynamoDbOptions } from './harness.js'

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

/**
 * Lambda Managed Instances run many invocations at once in one Node.js thread, sharing the
 * middleware instance. Here acme's handler waits until globex's request has been set up, then
 * does its work, so anything kept per middleware instance would name globex's request.
 */
const interleaved = (
	work: (client: DynamoDBClient, tenantKey: string) => Promise<unknown>,
	concurrentInvocations?: boolean,
) => {
	let globexStarted = () => {}
	const gate = new Promise<void>((resolve) => {
		globexStarted = resolve
	})
	let globexMayFinish = () => {}
	const globexGate = new Promise<void>((resolve) => {
		globexMayFinish = resolve
	})
	const run = pipeline(tenantDynamoDbOptions(stack, { concurrentInvocations }), async (context) => {
		if (context.tenant.id === 'globex') {
			globexStarted()
			await globexGate
			return 'globex done'
		}
		await gate
		try {
			return await work(context.clients.dynamodb, context.tenant.key('item', '1'))
		} finally {
			globexMayFinish()
		}
	})
	const both = Promise.all([
		run.invoke('acme', { requestId: 'req-acme' }),
		run.invoke('globex', { requestId: 'req-globex', rawPath: '/other' }),
	])
	return { run, both }
}

describe('concurrent invocations in one process', () => {
	/** acme reads globex's item while globex's invocation is in flight. */
	const crossTenantRead = (concurrentInvocations?: boolean) =>
		interleaved(
			(client) =>
				client.send(
					new GetItemCommand({
						TableName: table,
						Key: { pk: { S: 'TENANT#globex#item#1' }, sk: { S: '1' } },
					}),
				),
			concurrentInvocations,
		)

	it.each([
		[true, { code: 'dynamodb_cross_tenant_key', tenant: 'acme', claimedTenant: 'globex' }],
		// One record per instance names the request that started last, globex's: acme's client
		// is then refused as another tenant's before its key is looked at.
		[false, { code: 'client_of_another_tenant', tenant: 'globex', claimedTenant: 'acme' }],
	])(
		'refuses the cross-tenant read of the invocation that made it, whatever runs beside it (concurrentInvocations: %s)',
		async (concurrentInvocations, violation) => {
			const { run, both } = crossTenantRead(concurrentInvocations)
			const [acme, globex] = await both
			expect(acme.statusCode).toBe(403)
			expect(globex.statusCode).toBe(200)
			expect(run.violations).toEqual([expect.objectContaining(violation)])
			expect(stack.dynamodb.requests.filter((r) => r.operation === 'GetItem')).toEqual([])
		},
	)

	const ownRead = (concurrentInvocations: boolean) =>
		interleaved(
			(client, key) =>
				client.send(
					new GetItemCommand({ TableName: table, Key: { pk: { S: key }, sk: { S: '1' } } }),
				),
			concurrentInvocations,
		)

	it("serves each tenant's own reads while another tenant's invocation is in flight, with concurrentInvocations", async () => {
		const { run, both } = ownRead(true)
		const [acme, globex] = await both
		expect({
			acme: acme.statusCode,
			globex: globex.statusCode,
			violations: run.violations,
		}).toEqual({ acme: 200, globex: 200, violations: [] })
	})

	it("fails closed without concurrentInvocations: acme's own read is refused while globex's request is the one on record", async () => {
		const { run, both } = ownRead(false)
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

	it('a guard violation names its own request, not the one that started last', async () => {
		const { run, both } = crossTenantRead(true)
		await both
		expect(run.violations).toEqual([
			expect.objectContaining({ requestId: 'req-acme', path: '/items', method: 'POST' }),
		])
	})

	it("the STS session of a tenant is named after that tenant's request", async () => {
		const { both } = interleaved(
			(client, key) =>
				client.send(
					new GetItemCommand({ TableName: table, Key: { pk: { S: key }, sk: { S: '1' } } }),
				),
			true,
		)
		const [acme] = await both
		expect(acme.statusCode).toBe(200)
		expect(stack.sts.assumeRoleCalls.map((call) => call.roleSessionName)).toEqual(['acme@req-acme'])
	})

	const withMaxConcurrency = async (value: string, run: () => Promise<void>) => {
		const previous = process.env.AWS_LAMBDA_MAX_CONCURRENCY
		process.env.AWS_LAMBDA_MAX_CONCURRENCY = value
		try {
			await run()
		} finally {
			if (previous === undefined) delete process.env.AWS_LAMBDA_MAX_CONCURRENCY
			else process.env.AWS_LAMBDA_MAX_CONCURRENCY = previous
		}
	}

	it('tracks requests per async context by default where Lambda sets AWS_LAMBDA_MAX_CONCURRENCY', () =>
		withMaxConcurrency('64', async () => {
			const { run, both } = crossTenantRead()
			await both
			expect(run.violations).toEqual([expect.objectContaining({ requestId: 'req-acme' })])
		}))

	it('lets an explicit concurrentInvocations: false win over AWS_LAMBDA_MAX_CONCURRENCY', () =>
		withMaxConcurrency('64', async () => {
			const { run, both } = crossTenantRead(false)
			await both
			expect(run.violations).toEqual([expect.objectContaining({ requestId: 'req-globex' })])
		}))

	it('keeps one record per instance elsewhere: Lambda then serves one request at a time', async () => {
		const { run, both } = crossTenantRead()
		await both
		expect(run.violations).toEqual([expect.objectContaining({ requestId: 'req-globex' })])
	})
})
