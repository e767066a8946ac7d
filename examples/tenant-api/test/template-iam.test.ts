import { dynamoRateLimitStore } from '@tenantry/rate-limit'
import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { templateOf } from '../../../scripts/examples.js'
import {
	allows,
	clearRecordedCalls,
	dynamoDbCall,
	recordedCalls,
	type Statement,
	statementsOf,
	type TemplateResolver,
	templateResolver,
} from '../../../scripts/iam-policy.js'
import { audience, type Handler, startTenantApi, tableName } from './local-tenant-api.js'

/**
 * The template's IAM statements against what the code sends (dynalite records every request and
 * the access key that signed it; the STS stand-in tells which session a key belongs to): each
 * DynamoDB call the handler makes must be one its role allows, on the table the template gives it,
 * each AssumeRole one the function's role may make, and a tenant's role must allow none of another
 * tenant's keys. IAM cannot be run locally: `scripts/iam-policy.ts` decides as IAM's documentation
 * says it does.
 */

const template = templateOf('tenant-api')
let stack: LocalStack
let handler: Handler
let resolver: TemplateResolver
let functionStatements: Statement[]
let tenantStatements: Statement[]
beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 25 }))
	resolver = templateResolver(template, process.env)
	functionStatements = resolver.statementsFor('ItemsFunction')
	tenantStatements = resolver.statementsFor('TenantDataRole')
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

describe('tenant-api template.yaml: IAM allows what the code sends, and no other tenant', () => {
	it("allows every call of a tenant's PUT, GET and DELETE, each under the role that signs it, on the template's table and role", async () => {
		clearRecordedCalls(stack)
		expect((await call('PUT', 'acme', '42', { name: 'widget' })).statusCode).toBe(201)
		expect((await call('GET', 'acme', '42')).statusCode).toBe(200)
		expect((await call('DELETE', 'acme', '42')).statusCode).toBe(204)
		const calls = recordedCalls(stack, template, resolver)
		expect(calls.map((sent) => sent.action).sort()).toEqual(
			[
				'dynamodb:DeleteItem',
				'dynamodb:GetItem',
				'dynamodb:PutItem',
				'dynamodb:UpdateItem',
				'dynamodb:UpdateItem',
				'dynamodb:UpdateItem',
				// acme's session, once: its credentials are cached for the other two requests.
				'sts:AssumeRole',
				'sts:TagSession',
			].sort(),
		)
		for (const sent of calls) {
			const statements = sent.session === undefined ? functionStatements : tenantStatements
			expect(allows(statements, sent), sent.label).toBe(true)
			// The same call for another tenant's session is refused.
			if (sent.session !== undefined)
				expect(
					allows(tenantStatements, {
						...sent,
						context: { ...sent.context, 'aws:PrincipalTag/tenant_id': 'acm' },
					}),
					sent.label,
				).toBe(false)
		}
		// The tenant sessions are of the role the function's role may assume, and only of it.
		const other = {
			action: 'sts:AssumeRole',
			resource: 'arn:aws:iam::000000000000:role/admin',
			context: {},
		}
		expect(allows(functionStatements, other)).toBe(false)
	})

	it("allows the function role a named limit's counters (the README's `name` option)", async () => {
		const store = dynamoRateLimitStore({ tableName, client: stack.dynamodb.client() })
		clearRecordedCalls(stack)
		const windowStart = Date.UTC(2026, 11, 5)
		for (const name of [undefined, 'writes'])
			await store.consume({
				tenantId: 'acme',
				windowStart,
				windowEnd: windowStart + 60_000,
				limit: 10,
				name,
			})
		const calls = recordedCalls(stack, template, resolver)
		expect(calls).toHaveLength(2)
		for (const sent of calls) expect(allows(functionStatements, sent), sent.label).toBe(true)
	})

	it("gives a tenant's session none of another tenant's keys, however alike the ids, nor another table, nor its own rate-limit counters", () => {
		const keyOf = (tenant: string) => `TENANT#${tenant}#ITEM#42`
		const getItem = (key: string, tags?: Record<string, string>, table = tableName) =>
			dynamoDbCall(resolver, 'GetItem', table, key, tags)
		for (const [session, other] of [
			['acme', 'acme-evil'],
			['acme', 'Acme'],
			['acme-evil', 'acme'],
			['acme', 'acm'],
		] as const) {
			expect(allows(tenantStatements, getItem(keyOf(session), { tenant_id: session }))).toBe(true)
			expect(allows(tenantStatements, getItem(keyOf(other), { tenant_id: session }))).toBe(false)
		}
		expect(allows(tenantStatements, getItem(keyOf('acme'), { tenant_id: 'acme' }, 'other'))).toBe(
			false,
		)
		// Nor its own rate-limit counters: deleting or overwriting one would reset its limit.
		const windowStart = Date.UTC(2026, 11, 5)
		for (const counter of [
			`TENANT#acme#RATE#${windowStart}`,
			`TENANT#acme#RATE:writes#${windowStart}`,
		])
			for (const operation of ['GetItem', 'PutItem', 'DeleteItem', 'UpdateItem'])
				expect(
					allows(
						tenantStatements,
						dynamoDbCall(resolver, operation, tableName, counter, { tenant_id: 'acme' }),
					),
					`${operation} ${counter}`,
				).toBe(false)
		// The function's own role reads no item, whoever's.
		expect(allows(functionStatements, getItem(keyOf('acme')))).toBe(false)
		expect(
			allows(functionStatements, dynamoDbCall(resolver, 'UpdateItem', tableName, keyOf('acme'))),
		).toBe(false)
	})
})

describe('tenant-api template.yaml: the role each tenant gets', () => {
	it("is the role the function's policy and TENANT_ROLE_ARN name, under a name IAM accepts for any stack", () => {
		const properties = (id: string) => template.Resources[id]?.Properties ?? {}
		const roleArn = (
			properties('ItemsFunction').Environment as { Variables: Record<string, unknown> }
		).Variables.TENANT_ROLE_ARN
		const assumable = (
			statementsOf(template, 'ItemsFunction').find((statement) =>
				[statement.Action].flat().includes('sts:AssumeRole'),
			) as { Resource: unknown }
		).Resource
		expect(assumable).toEqual(roleArn)
		const [arnPattern, arnVariables] = (roleArn as { 'Fn::Sub': [string, unknown] })['Fn::Sub']
		const [namePattern, nameVariables] = (
			properties('TenantDataRole').RoleName as { 'Fn::Sub': [string, unknown] }
		)['Fn::Sub']
		expect(arnVariables).toEqual(nameVariables)
		expect(arnPattern.endsWith(`:role/${namePattern}`)).toBe(true)
		// A stack id ends in a UUID (36 characters), whatever the stack's name.
		expect(nameVariables).toEqual({
			StackUuid: { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
		})
		expect(namePattern.replace(/\$\{StackUuid\}/, 'x'.repeat(36)).length).toBeLessThanOrEqual(64)
	})
})

describe("tenant-api template.yaml: the function role's rate-limit grant reaches no item", () => {
	// The README: "The function's own role cannot read items at all". Its counter grant
	// `TENANT#*#RATE:*` is a StringLike whose first `*` runs across `#`, so it also covers an item
	// whose id starts with `RATE:` (`TENANT#<any tenant>#ITEM#RATE:…`), an id the handler accepts:
	// the function's own credentials could then update (and, with ReturnValues, read) any tenant's
	// such item, past the tenant session that should be the only way to items.
	it('refuses the function role an UpdateItem of an item whose id starts with RATE:', async () => {
		const itemId = 'RATE:notes'
		expect((await call('PUT', 'acme', itemId, { secret: 'acme data' })).statusCode).toBe(201)
		for (const tenant of ['acme', 'globex'])
			expect(
				allows(
					functionStatements,
					dynamoDbCall(resolver, 'UpdateItem', tableName, `TENANT#${tenant}#ITEM#${itemId}`),
				),
				`UpdateItem TENANT#${tenant}#ITEM#${itemId}`,
			).toBe(false)
		// The counters the grant is for stay allowed.
		const windowStart = Date.UTC(2026, 11, 5)
		for (const counter of [
			`TENANT#acme#RATE#${windowStart}`,
			`TENANT#acme#RATE:writes#${windowStart}`,
		])
			expect(
				allows(functionStatements, dynamoDbCall(resolver, 'UpdateItem', tableName, counter)),
				counter,
			).toBe(true)
	})
})
