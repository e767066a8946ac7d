import { dynamoRateLimitStore } from '@tenantry/rate-limit'
import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { templateOf } from '../../../scripts/examples.js'
import { audience, type Handler, startTenantApi, tableName } from './local-tenant-api.js'

/**
 * The template's IAM statements against what the code sends (dynalite records every request and
 * the access key that signed it; the STS stand-in tells which session a key belongs to): each
 * DynamoDB call the handler makes must be one its role allows, and a tenant's role must allow
 * none of another tenant's keys. IAM cannot be run locally; its `StringLike` is: `*` any run of
 * characters, `?` one, case-sensitive (IAM User Guide, "String condition operators").
 */

interface Statement {
	Effect: string
	Action: string | string[]
	Condition?: { 'ForAllValues:StringLike'?: { 'dynamodb:LeadingKeys'?: string[] } }
}

const template = templateOf('tenant-api')
const functionStatements = (
	(template.Resources.ItemsFunction?.Properties?.Policies as { Statement: Statement[] }[]) ?? []
).flatMap((policy) => policy.Statement)
const tenantStatements = (
	(template.Resources.TenantDataRole?.Properties?.Policies as {
		PolicyDocument: { Statement: Statement[] }
	}[]) ?? []
).flatMap((policy) => policy.PolicyDocument.Statement)

const stringLike = (pattern: string, value: string): boolean =>
	new RegExp(
		`^${[...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
		's',
	).test(value)

/** Whether one of `statements` allows `operation` on a key with this partition key value. */
const allows = (
	statements: Statement[],
	operation: string,
	partitionKey: string,
	tags: Record<string, string> = {},
): boolean =>
	statements.some((statement) => {
		const actions = [statement.Action].flat()
		if (statement.Effect !== 'Allow' || !actions.includes(`dynamodb:${operation}`)) return false
		const patterns = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']
		if (patterns === undefined) return false
		return patterns.some((pattern) =>
			stringLike(
				pattern.replace(/\$\{aws:PrincipalTag\/([\w:-]+)\}/g, (_, key: string) => tags[key] ?? ''),
				partitionKey,
			),
		)
	})

let stack: LocalStack
let handler: Handler
beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 25 }))
})
afterAll(() => stack.stop())

const call = async (method: string, tenant: string, itemId: string, body?: unknown) => {
	const token = await stack.identityProvider.sign({
		sub: `user@${tenant}`,
		aud: audience,
		tenant_id: tenant,
	})
	const event = httpApiEvent({
		method,
		path: `/tenants/${tenant}/items/${itemId}`,
		pathParameters: { tenantId: tenant, itemId },
		headers: { authorization: `Bearer ${token}` },
		...(body === undefined ? {} : { body: body as Record<string, unknown> }),
	})
	return (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2
}

/** The partition key a call names: its `Key`, or a `PutItem`'s `Item`. */
const partitionKeyOf = (input: unknown): string => {
	const { Key, Item } = input as { Key?: { pk?: { S?: string } }; Item?: { pk?: { S?: string } } }
	return (Key ?? Item)?.pk?.S ?? ''
}

describe('tenant-api template.yaml: IAM allows what the code sends, and no other tenant', () => {
	it("allows every DynamoDB call of a tenant's PUT, GET and DELETE, each under the role that signs it", async () => {
		stack.dynamodb.clearRequests()
		expect((await call('PUT', 'acme', '42', { name: 'widget' })).statusCode).toBe(200)
		expect((await call('GET', 'acme', '42')).statusCode).toBe(200)
		expect((await call('DELETE', 'acme', '42')).statusCode).toBe(204)
		const sent = stack.dynamodb.requests.filter((request) => request.input !== undefined)
		expect(sent.map((request) => request.operation).sort()).toEqual(
			['DeleteItem', 'GetItem', 'PutItem', 'UpdateItem', 'UpdateItem', 'UpdateItem'].sort(),
		)
		for (const request of sent) {
			const partitionKey = partitionKeyOf(request.input)
			const session = stack.sts.callForAccessKey(request.accessKeyId)
			const allowed =
				session === undefined
					? allows(functionStatements, request.operation, partitionKey)
					: allows(tenantStatements, request.operation, partitionKey, session.tags)
			expect(allowed, `${request.operation} ${partitionKey}`).toBe(true)
			// The same call for another tenant's session is refused.
			if (session !== undefined)
				expect(
					allows(tenantStatements, request.operation, partitionKey, { tenant_id: 'acm' }),
				).toBe(false)
		}
	})

	it("allows the function role a named limit's counters (the README's `name` option)", async () => {
		const store = dynamoRateLimitStore({ tableName, client: stack.dynamodb.client() })
		stack.dynamodb.clearRequests()
		const windowStart = Date.UTC(2026, 11, 5)
		for (const name of [undefined, 'writes'])
			await store.consume({
				tenantId: 'acme',
				windowStart,
				windowEnd: windowStart + 60_000,
				limit: 10,
				name,
			})
		const keys = stack.dynamodb.requests.map((request) => partitionKeyOf(request.input))
		expect(keys).toHaveLength(2)
		for (const key of keys) expect(allows(functionStatements, 'UpdateItem', key), key).toBe(true)
	})

	it("gives a tenant's session none of another tenant's keys, however alike the ids", () => {
		const keyOf = (tenant: string) => `TENANT#${tenant}#ITEM#42`
		for (const [session, other] of [
			['acme', 'acme-evil'],
			['acme', 'Acme'],
			['acme-evil', 'acme'],
			['acme', 'acm'],
		] as const) {
			expect(allows(tenantStatements, 'GetItem', keyOf(session), { tenant_id: session })).toBe(true)
			expect(allows(tenantStatements, 'GetItem', keyOf(other), { tenant_id: session })).toBe(false)
		}
		// The function's own role reads no item, whoever's.
		expect(allows(functionStatements, 'GetItem', keyOf('acme'))).toBe(false)
		expect(allows(functionStatements, 'UpdateItem', keyOf('acme'))).toBe(false)
	})
})
