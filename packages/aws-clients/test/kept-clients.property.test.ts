import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { awsClientsPlugin } from '../src/index.js'
import {
	pipeline,
	type Stack,
	startStack,
	table,
	tenantDynamoDbOptions,
	tenantOfRequest,
} from './harness.js'

/**
 * Any sequence of requests of any tenants, in which handlers keep clients and use kept ones
 * (their own tenant's or another's) on any tenant's key: an item is read only through a client
 * of the request's own tenant, for that tenant's key, signed with that tenant's session; every
 * other read is a 403 that sends nothing. Against dynalite and the STS endpoint.
 */
const tenants = ['acme', 'globex', 'initech'] as const
type Tenant = (typeof tenants)[number]

let stack: Stack

beforeAll(async () => {
	stack = await startStack()
	for (const tenant of tenants) {
		await stack.admin.send(
			new PutItemCommand({
				TableName: table,
				Item: { pk: { S: `TENANT#${tenant}#secret` }, sk: { S: '1' } },
			}),
		)
	}
})
afterAll(() => stack.stop())

const step = fc.record({
	tenant: fc.constantFrom(...tenants),
	keep: fc.boolean(),
	/** Which kept client to read with, by position; `undefined`: the request's own. */
	use: fc.option(fc.nat(), { nil: undefined }),
	keyOf: fc.constantFrom(...tenants),
})

describe.each([
	{ plugin: undefined, mode: 'without the plugin' },
	{ plugin: awsClientsPlugin(), mode: 'with awsClientsPlugin()' },
])('kept tenant clients ($mode)', ({ plugin }) => {
	it("read an item only for the request's own tenant, through its own tenant's client and session", async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
				stack.reset()
				const kept: { tenant: Tenant; client: DynamoDBClient }[] = []
				let current = steps[0] as (typeof steps)[number]
				const run = pipeline(
					tenantDynamoDbOptions(stack, { onViolation: () => undefined }),
					async (context) => {
						const own = { tenant: current.tenant, client: context.clients.dynamodb }
						if (current.keep) kept.push(own)
						const reader =
							current.use === undefined || kept.length === 0
								? own
								: (kept[current.use % kept.length] ?? own)
						const { Item } = await reader.client.send(
							new GetItemCommand({
								TableName: table,
								Key: { pk: { S: `TENANT#${current.keyOf}#secret` }, sk: { S: '1' } },
							}),
						)
						return { reader: reader.tenant, item: Item?.pk?.S ?? null }
					},
					{ plugin },
				)
				for (const next of steps) {
					current = next
					const sentBefore = stack.dynamodb.requests.length
					const response = await run.invoke(next.tenant)
					const sent = stack.dynamodb.requests.slice(sentBefore)
					const signers = sent.map((request) => tenantOfRequest(stack, request.accessKeyId))
					expect(signers.every((signer) => signer === next.tenant)).toBe(true)
					if (response.statusCode === 200) {
						const { reader, item } = JSON.parse(response.body) as { reader: Tenant; item: string }
						expect({ reader, item }).toEqual({
							reader: next.tenant,
							item: `TENANT#${next.tenant}#secret`,
						})
					} else {
						expect(response.statusCode).toBe(403)
						expect(sent).toEqual([])
					}
				}
			}),
			{ numRuns: 60 },
		)
	})
})
