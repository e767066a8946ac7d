import { dynamoRateLimitStore } from '@tenantry/rate-limit'
import { httpApiEvent, type LocalStack, lambdaContext } from '@tenantry/testing'
import { DEFAULT_TENANT_ID_PATTERN } from '@tenantry/util'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { templateOf } from '../../../scripts/examples.js'
import {
	type AssumeRoleRequest,
	allows,
	type Call,
	clearRecordedCalls,
	dynamoDbCall,
	mayAssume,
	type Principal,
	recordedAssumeRole,
	recordedCalls,
	type Statement,
	statementsOf,
	stsRefusal,
	type TemplateResolver,
	templateResolver,
	trusts,
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
let trustStatements: Statement[]
beforeAll(async () => {
	;({ stack, handler } = await startTenantApi({ rateLimitRequests: 25 }))
	resolver = templateResolver(template, process.env)
	functionStatements = resolver.statementsFor('ItemsFunction')
	tenantStatements = resolver.statementsFor('TenantDataRole')
	trustStatements = resolver.trustStatementsFor('TenantDataRole')
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

describe("tenant-api template.yaml: TenantDataRole's trust policy", () => {
	/** The role the handler is given (`TENANT_ROLE_ARN`, the template's role: see above). */
	const tenantRoleArn = () => process.env.TENANT_ROLE_ARN ?? ''
	/** ItemsFunction's execution role, whose sessions the function's code runs on. */
	const functionRole = (): Principal => ({
		type: 'role',
		roleArn: resolver.functionRoleArn('ItemsFunction'),
	})
	const request = (
		tags: Record<string, string>,
		principal = functionRole(),
		extra: Partial<AssumeRoleRequest> = {},
	): AssumeRoleRequest => ({ principal, roleArn: tenantRoleArn(), tags, ...extra })
	/** Whoever else asks, with identity policies allowing them everything: only the trust policy stands. */
	const everything: Statement[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }]
	const account = '000000000000'

	it("lets the function's role make the AssumeRole the code makes, with its tenant_id tag", async () => {
		clearRecordedCalls(stack)
		expect((await call('PUT', 'globex', 'trust-1', { n: 1 })).statusCode).toBe(201)
		const assumed = stack.sts.assumeRoleCalls
		expect(assumed).toHaveLength(1)
		for (const sent of assumed) {
			// What tenantCredentials sends: the tenant_id tag alone, nothing transitive, no session policy.
			expect(sent.tags).toEqual({ tenant_id: 'globex' })
			expect(sent.transitiveTagKeys).toEqual([])
			expect(sent.policy).toBeUndefined()
			const made = recordedAssumeRole(sent, functionRole())
			expect(stsRefusal(made)).toBeUndefined()
			expect(trusts(trustStatements, made)).toBe(true)
			expect(mayAssume(trustStatements, functionStatements, made)).toBe(true)
		}
	})

	it('refuses the function a session without a tenant_id tag, with an empty one, or with other tags beside it', () => {
		expect(mayAssume(trustStatements, functionStatements, request({ tenant_id: 'acme' }))).toBe(
			true,
		)
		for (const tags of [
			{} as Record<string, string>,
			{ tenant_id: '' },
			{ tenant: 'acme' },
			// A tag no policy of this stack reads, but that other policies of the account may: a
			// resource policy granting `aws:PrincipalTag/team` = admin would take this session's word.
			{ tenant_id: 'acme', team: 'admin' },
			{ tenant_id: 'acme', project: 'billing' },
		])
			expect(
				mayAssume(trustStatements, functionStatements, request(tags)),
				JSON.stringify(tags),
			).toBe(false)
	})

	it('refuses every other principal, even with a tenant_id tag and every permission of its own', () => {
		const others: [string, Principal][] = [
			["the account's root", { type: 'root', account }],
			[
				'another role of the account',
				{ type: 'role', roleArn: `arn:aws:iam::${account}:role/admin` },
			],
			['the tenant role itself', { type: 'role', roleArn: tenantRoleArn() }],
			['a user of the account', { type: 'user', arn: `arn:aws:iam::${account}:user/alice` }],
			[
				"a role of another account named like the function's",
				{
					type: 'role',
					roleArn: resolver.functionRoleArn('ItemsFunction').replace(account, '111111111111'),
				},
			],
			["another account's root", { type: 'root', account: '111111111111' }],
			[
				'Lambda, for any function',
				{
					type: 'service',
					service: 'lambda.amazonaws.com',
					sourceAccount: account,
					sourceArn: `arn:aws:lambda:us-east-1:${account}:function:other`,
				},
			],
		]
		for (const [name, principal] of others) {
			const asked = request({ tenant_id: 'acme' }, principal)
			expect(trusts(trustStatements, asked), name).toBe(false)
			expect(mayAssume(trustStatements, everything, asked), name).toBe(false)
		}
		// No statement trusts everyone, an account or a service: only a role named by its ARN.
		for (const statement of trustStatements) {
			expect(statement.Principal, statement.Sid).not.toBe('*')
			expect(Object.keys(statement.Principal as object), statement.Sid).toEqual(['AWS'])
			for (const arn of [(statement.Principal as { AWS: string | string[] }).AWS].flat())
				expect(arn, statement.Sid).toMatch(/^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/)
		}
	})

	it('hands a session nothing to chain: the tenant role may assume or tag no role, so a transitive tag goes nowhere', () => {
		for (const action of ['sts:AssumeRole', 'sts:TagSession', 'sts:AssumeRoleWithWebIdentity'])
			for (const roleArn of [tenantRoleArn(), `arn:aws:iam::${account}:role/admin`])
				expect(
					allows(tenantStatements, {
						action,
						resource: roleArn,
						context: { 'aws:PrincipalTag/tenant_id': 'acme' },
					}),
					`${action} ${roleArn}`,
				).toBe(false)
	})

	it("makes every tenant id the code accepts a tag STS takes, and no tag STS takes reaches another tenant's keys", () => {
		const tenantId = fc.stringMatching(DEFAULT_TENANT_ID_PATTERN)
		// Tag values as STS takes them, and what it does not: `*`, `?` and `#` would widen or cross
		// the LeadingKeys pattern TENANT#${aws:PrincipalTag/tenant_id}#ITEM#*.
		const tagValue = fc.string({
			unit: fc.constantFrom(...'aZ09_-.:/=+@ *?#é'.split('')),
			maxLength: 12,
		})
		fc.assert(
			fc.property(tenantId, tagValue, fc.stringMatching(/^[^#]{1,8}$/), (own, tag, itemId) => {
				const accepted = request({ tenant_id: own })
				expect(stsRefusal(accepted)).toBeUndefined()
				expect(mayAssume(trustStatements, functionStatements, accepted)).toBe(true)
				const getItem = (tenant: string, as: string) =>
					dynamoDbCall(resolver, 'GetItem', tableName, `TENANT#${tenant}#ITEM#${itemId}`, {
						tenant_id: as,
					})
				expect(allows(tenantStatements, getItem(own, own))).toBe(true)
				if (stsRefusal(request({ tenant_id: tag })) !== undefined) {
					expect(tag).toMatch(/[*?#]/)
					return
				}
				if (tag !== own) expect(allows(tenantStatements, getItem(own, tag))).toBe(false)
			}),
			{ numRuns: 2_000 },
		)
		for (const tag of ['*', 'acme*', '?cme', 'acme#ITEM', 'acme#*'])
			expect(stsRefusal(request({ tenant_id: tag })), tag).toBeDefined()
	})
})

describe('tenant-api template.yaml: DynamoDB actions beyond the item calls', () => {
	const tableArn = () => resolver.tableArn(tableName)
	/** Every DynamoDB action that reads or writes data, or the table, besides the roles' own grants. */
	const otherActions = [
		'Query',
		'Scan',
		'BatchGetItem',
		'BatchWriteItem',
		'ConditionCheckItem',
		'TransactGetItems',
		'TransactWriteItems',
		'ExecuteStatement',
		'BatchExecuteStatement',
		'ExecuteTransaction',
		'PartiQLSelect',
		'PartiQLInsert',
		'PartiQLUpdate',
		'PartiQLDelete',
		'GetRecords',
		'GetShardIterator',
		'DescribeTable',
		'UpdateTable',
		'DeleteTable',
		'ExportTableToPointInTime',
		'CreateBackup',
		'RestoreTableFromBackup',
		'UpdateTimeToLive',
		'PutResourcePolicy',
	]
	/** The call with the tenant's own leading key, and without any (a Scan, PartiQL: no LeadingKeys). */
	const variants = (action: string, key: string, tags?: Record<string, string>): Call[] => {
		const withKey = dynamoDbCall(resolver, action, tableName, key, tags)
		const { 'dynamodb:LeadingKeys': _, ...keyless } = withKey.context
		return [
			tableArn(),
			`${tableArn()}/index/gsi1`,
			`${tableArn()}/stream/2026-01-01T00:00:00.000`,
		].flatMap((resource) => [
			{ ...withKey, resource },
			{ ...withKey, resource, context: keyless },
		])
	}

	it("refuses a tenant's session every other action, on the table, its indexes and streams, even on its own keys", () => {
		for (const action of otherActions)
			for (const sent of variants(action, 'TENANT#acme#ITEM#42', { tenant_id: 'acme' }))
				expect(allows(tenantStatements, sent), `${sent.action} ${sent.resource}`).toBe(false)
		// Its three actions reach the table alone: not an index, nor a stream. (Each always names a
		// key, so `ForAllValues`, which a request without LeadingKeys would pass, never sees one.)
		for (const action of ['GetItem', 'PutItem', 'DeleteItem'])
			for (const sent of variants(action, 'TENANT#acme#ITEM#42', { tenant_id: 'acme' }))
				if ('dynamodb:LeadingKeys' in sent.context)
					expect(allows(tenantStatements, sent), `${sent.action} ${sent.resource}`).toBe(
						sent.resource === tableArn(),
					)
	})

	it("refuses the function's own role every read and every write but a counter's UpdateItem", () => {
		for (const action of [...otherActions, 'GetItem', 'PutItem', 'DeleteItem'])
			for (const key of ['TENANT#acme#ITEM#42', 'TENANT#acme#RATE#1764892800+60s'])
				for (const sent of variants(action, key))
					expect(allows(functionStatements, sent), `${sent.action} ${key} ${sent.resource}`).toBe(
						false,
					)
	})

	it('declares no secondary index or stream, which the grants above would have to name', () => {
		const table = template.Resources.ItemsTable?.Properties ?? {}
		expect(table.GlobalSecondaryIndexes).toBeUndefined()
		expect(table.LocalSecondaryIndexes).toBeUndefined()
		expect(table.StreamSpecification).toBeUndefined()
	})
})
