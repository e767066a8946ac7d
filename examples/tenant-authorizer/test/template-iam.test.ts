import {
	httpApiAuthorizerEvent,
	httpApiEvent,
	type LocalStack,
	lambdaContext,
} from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { templateOf } from '../../../scripts/examples.js'
import {
	allowingStatements,
	allows,
	clearRecordedCalls,
	dynamoDbCall,
	recordedCalls,
	type SignedCall,
	type Statement,
	type TemplateResolver,
	templateResolver,
} from '../../../scripts/iam-policy.js'
import {
	type Authorize,
	audience,
	type Decision,
	type Downstream,
	profilesTable,
	startTenantAuthorizer,
} from './local-tenant-authorizer.js'

/**
 * The template's IAM statements against what each function sends (the stand-ins record every
 * request and the access key that signed it): the authorizer's role has no statements, so it
 * must call no AWS service; each call of the downstream function must be one its role allows,
 * on the table the template gives it, and each of its statements one some call needs.
 */

const template = templateOf('tenant-authorizer')
let stack: LocalStack
let authorize: Authorize
let downstream: Downstream
let tokenFor: Awaited<ReturnType<typeof startTenantAuthorizer>>['tokenFor']
let resolver: TemplateResolver
let authorizerStatements: Statement[]
let profileStatements: Statement[]

beforeAll(async () => {
	;({ stack, authorize, downstream, tokenFor } = await startTenantAuthorizer())
	resolver = templateResolver(template, process.env)
	authorizerStatements = resolver.statementsFor('AuthorizerFunction')
	profileStatements = resolver.statementsFor('ProfileFunction')
})
afterAll(() => stack.stop())

/** Runs one function and returns the calls it made: one function at a time, so each is its own. */
const callsOf = async (run: () => Promise<unknown>): Promise<SignedCall[]> => {
	clearRecordedCalls(stack)
	await run()
	return recordedCalls(stack, template, resolver)
}

const decide = async (token: string | undefined, tenantInPath = 'acme') => {
	let decision: Decision | undefined
	const calls = await callsOf(async () => {
		decision = await authorize(
			httpApiAuthorizerEvent({
				method: 'GET',
				path: `/tenants/${tenantInPath}/profile`,
				headers: token ? { authorization: `Bearer ${token}` } : {},
			}),
			lambdaContext(),
		)
	})
	return { decision, calls }
}

/** What API Gateway sends the downstream function after the authorizer allowed the request. */
const profile = async (decision: Decision | undefined, tenantInPath: string) => {
	let statusCode: number | undefined
	const calls = await callsOf(async () => {
		const response = await downstream(
			httpApiEvent({
				method: 'GET',
				path: `/tenants/${tenantInPath}/profile`,
				pathParameters: { tenantId: tenantInPath },
				authorizer: { lambda: decision?.context ?? {} },
			}),
			lambdaContext(),
		)
		statusCode = response.statusCode
	})
	return { statusCode, calls }
}

describe('tenant-authorizer template.yaml: IAM allows what each function sends, and no more', () => {
	it('the authorizer calls no AWS service, allowing or refusing (its role has no statements)', async () => {
		expect(authorizerStatements).toEqual([])
		const forger = await stack.identityProvider.createKey('ES256', { publish: false })
		const flows = [
			{ token: await tokenFor('acme'), allowed: true },
			{ token: await tokenFor('globex'), allowed: true },
			{
				token: await stack.identityProvider.sign(
					{ sub: 'x', aud: audience, tenant_id: 'acme' },
					{ key: forger },
				),
				allowed: false,
			},
			{ token: await tokenFor('acme', { exp: Math.floor(Date.now() / 1000) - 1 }), allowed: false },
			{ token: await tokenFor(undefined), allowed: false },
			{ token: undefined, allowed: false },
		]
		for (const { token, allowed } of flows) {
			const { decision, calls } = await decide(token).catch(() => ({
				decision: undefined,
				calls: recordedCalls(stack, template, resolver),
			}))
			if (allowed) expect(decision?.isAuthorized).toBe(true)
			for (const sent of calls) expect(allows(authorizerStatements, sent), sent.label).toBe(true)
			expect(calls.map((sent) => sent.label)).toEqual([])
		}
	})

	it("allows the downstream function's calls for its own tenant, on the template's table", async () => {
		const seen: SignedCall[] = []
		for (const [tenant, expected] of [
			['acme', 200],
			['globex', 200],
		] as const) {
			const { decision } = await decide(await tokenFor(tenant), tenant)
			const { statusCode, calls } = await profile(decision, tenant)
			expect(statusCode).toBe(expected)
			expect(calls.map((sent) => sent.label)).toEqual([
				`dynamodb:GetItem ${profilesTable} TENANT#${tenant}#PROFILE#main`,
			])
			for (const sent of calls) {
				expect(sent.session, sent.label).toBeUndefined()
				expect(allows(profileStatements, sent), sent.label).toBe(true)
			}
			seen.push(...calls)
		}
		// Another tenant's path is refused before any call.
		const { decision } = await decide(await tokenFor('globex'), 'acme')
		const mismatch = await profile(decision, 'acme')
		expect(mismatch.statusCode).toBe(403)
		expect(mismatch.calls).toEqual([])
		// Every statement is one some call needs.
		const used = new Set(seen.flatMap((sent) => allowingStatements(profileStatements, sent)))
		expect([...used].sort()).toEqual(profileStatements.map((_, index) => index))
	})

	it('allows the downstream function nothing else: other keys, tables and actions', () => {
		for (const call of [
			dynamoDbCall(resolver, 'GetItem', profilesTable, 'TENANT#acme#ITEM#main'),
			dynamoDbCall(resolver, 'GetItem', profilesTable, 'PROFILE#acme'),
			dynamoDbCall(resolver, 'PutItem', profilesTable, 'TENANT#acme#PROFILE#main'),
			dynamoDbCall(resolver, 'GetItem', 'other', 'TENANT#acme#PROFILE#main'),
		])
			expect(allows(profileStatements, call), `${call.action} ${call.resource}`).toBe(false)
	})
})

describe('tenant-authorizer template.yaml: no tenant role, and no read beyond GetItem', () => {
	it('deploys no IAM role for tenants (the downstream function reads on its own role) and grants no sts action', () => {
		expect(
			Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::IAM::Role'),
		).toEqual([])
		for (const statements of [authorizerStatements, profileStatements])
			for (const action of ['sts:AssumeRole', 'sts:TagSession'])
				expect(
					allows(statements, {
						action,
						resource: 'arn:aws:iam::000000000000:role/any',
						context: {},
					}),
				).toBe(false)
	})

	it('refuses the downstream function every other read, with or without a leading key, and the indexes', () => {
		const tableArn = resolver.tableArn(profilesTable)
		for (const operation of [
			'Query',
			'Scan',
			'BatchGetItem',
			'PartiQLSelect',
			'ExecuteStatement',
			'GetRecords',
		]) {
			const withKey = dynamoDbCall(resolver, operation, profilesTable, 'TENANT#acme#PROFILE#main')
			const { 'dynamodb:LeadingKeys': _, ...keyless } = withKey.context
			for (const call of [withKey, { ...withKey, context: keyless }])
				expect(allows(profileStatements, call), operation).toBe(false)
		}
		expect(
			allows(profileStatements, {
				...dynamoDbCall(resolver, 'GetItem', profilesTable, 'TENANT#acme#PROFILE#main'),
				resource: `${tableArn}/index/gsi1`,
			}),
		).toBe(false)
	})
})
