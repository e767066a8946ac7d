import { describe, expect, it } from 'vitest'
import { type Template, templateOf } from '../examples.js'
import {
	type AssumeRoleRequest,
	allows,
	mayAssume,
	type Principal,
	type Statement,
	stsRefusal,
	templateResolver,
	trusts,
} from '../iam-policy.js'

/**
 * The trust-policy half of `scripts/iam-policy.ts`, on policies written here: the examples' tests
 * rely on it refusing what IAM refuses and, above all, allowing what IAM allows, so a trust
 * policy that is too broad shows as such.
 */

const account = '000000000000'
const functionRoleArn = `arn:aws:iam::${account}:role/ItemsFunctionRole`
const tenantRoleArn = `arn:aws:iam::${account}:role/tenant-data`
const functionRole: Principal = { type: 'role', roleArn: functionRoleArn }
const adminRole: Principal = { type: 'role', roleArn: `arn:aws:iam::${account}:role/admin` }
const otherAccountRole: Principal = {
	type: 'role',
	roleArn: 'arn:aws:iam::111111111111:role/ItemsFunctionRole',
}
const everything: Statement[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }]
const mayAssumeTenantRole: Statement[] = [
	{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: tenantRoleArn },
]
const ask = (
	principal: Principal,
	tags: Record<string, string> = { tenant_id: 'acme' },
	extra: Partial<AssumeRoleRequest> = {},
): AssumeRoleRequest => ({ principal, roleArn: tenantRoleArn, tags, ...extra })
const trust = (statement: Partial<Statement>): Statement[] => [
	{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], ...statement },
]

describe('iam-policy: trust policies', () => {
	it('a role named as principal: its sessions only, and only with its own permission', () => {
		const policy = trust({ Principal: { AWS: functionRoleArn } })
		expect(mayAssume(policy, mayAssumeTenantRole, ask(functionRole))).toBe(true)
		// A role's session needs its identity policy too, even where the trust policy names the role.
		expect(mayAssume(policy, [], ask(functionRole))).toBe(false)
		expect(mayAssume(policy, everything, ask(adminRole))).toBe(false)
		expect(mayAssume(policy, everything, ask(otherAccountRole))).toBe(false)
		expect(mayAssume(policy, everything, ask({ type: 'root', account }))).toBe(false)
	})

	it("the account's root as principal: every principal of the account its own policies let", () => {
		for (const root of [`arn:aws:iam::${account}:root`, account]) {
			const policy = trust({ Principal: { AWS: root } })
			expect(mayAssume(policy, everything, ask(adminRole)), root).toBe(true)
			expect(mayAssume(policy, mayAssumeTenantRole, ask(functionRole)), root).toBe(true)
			expect(mayAssume(policy, [], ask(adminRole)), root).toBe(false)
			expect(mayAssume(policy, everything, ask(otherAccountRole)), root).toBe(false)
		}
	})

	it('everyone as principal, and an IAM user named itself, which needs no policy of its own', () => {
		for (const principal of ['*', { AWS: '*' }]) {
			const policy = trust({ Principal: principal })
			expect(mayAssume(policy, everything, ask(otherAccountRole))).toBe(true)
			expect(mayAssume(policy, everything, ask({ type: 'root', account: '222222222222' }))).toBe(
				true,
			)
		}
		const alice = { type: 'user', arn: `arn:aws:iam::${account}:user/alice` } as const
		expect(mayAssume(trust({ Principal: { AWS: alice.arn } }), [], ask(alice))).toBe(true)
	})

	it('a service principal: that service, with the source conditions it is given', () => {
		const lambda = (sourceArn: string): Principal => ({
			type: 'service',
			service: 'lambda.amazonaws.com',
			sourceAccount: account,
			sourceArn,
		})
		const open = trust({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' })
		expect(mayAssume(open, [], ask(lambda('arn:aws:lambda:us-east-1:0:function:x'), {}))).toBe(true)
		expect(mayAssume(open, everything, ask(adminRole, {}))).toBe(false)
		const scoped = trust({
			Principal: { Service: 'lambda.amazonaws.com' },
			Action: 'sts:AssumeRole',
			Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:lambda:*:${account}:function:items-*` } },
		})
		expect(
			trusts(scoped, ask(lambda(`arn:aws:lambda:us-east-1:${account}:function:items-api`), {})),
		).toBe(true)
		expect(
			trusts(scoped, ask(lambda(`arn:aws:lambda:us-east-1:${account}:function:other`), {})),
		).toBe(false)
	})

	it('session tags: TagSession is asked for with tags, and conditions read aws:RequestTag, aws:TagKeys, sts:TransitiveTagKeys', () => {
		// Without sts:TagSession, AssumeRole with tags fails.
		const noTagging = trust({ Principal: { AWS: functionRoleArn }, Action: 'sts:AssumeRole' })
		expect(trusts(noTagging, ask(functionRole))).toBe(false)
		expect(trusts(noTagging, ask(functionRole, {}))).toBe(true)
		const required = trust({
			Principal: { AWS: functionRoleArn },
			Condition: {
				StringLike: { 'aws:RequestTag/tenant_id': '?*' },
				'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenant_id'] },
				Null: { 'sts:TransitiveTagKeys': 'true' },
			},
		})
		expect(trusts(required, ask(functionRole))).toBe(true)
		// aws:RequestTag/tenant_id reads the key in any case, aws:TagKeys lists it as it was sent.
		expect(trusts(required, ask(functionRole, { TENANT_ID: 'acme' }))).toBe(false)
		const refused: Record<string, string>[] = [
			{},
			{ tenant_id: '' },
			{ tenant_id: 'acme', team: 'admin' },
		]
		for (const tags of refused)
			expect(trusts(required, ask(functionRole, tags)), JSON.stringify(tags)).toBe(false)
		expect(
			trusts(
				required,
				ask(functionRole, { tenant_id: 'acme' }, { transitiveTagKeys: ['tenant_id'] }),
			),
		).toBe(false)
		// A Deny wins.
		const denied: Statement[] = [
			...required,
			{
				Effect: 'Deny',
				Principal: '*',
				Action: 'sts:TagSession',
				Condition: { StringEquals: { 'aws:RequestTag/tenant_id': 'acme' } },
			},
		]
		expect(trusts(denied, ask(functionRole))).toBe(false)
		expect(trusts(denied, ask(functionRole, { tenant_id: 'globex' }))).toBe(true)
	})

	it('STS refuses tags it cannot hold, before any policy: no *, ? or # in a value', () => {
		expect(stsRefusal(ask(functionRole, { tenant_id: 'acme-1_x' }))).toBeUndefined()
		expect(stsRefusal(ask(functionRole, { tenant_id: '' }))).toBeUndefined()
		for (const value of ['*', 'a?', 'acme#ITEM', 'x'.repeat(257)])
			expect(stsRefusal(ask(functionRole, { tenant_id: value })), value).toBeDefined()
		expect(stsRefusal(ask(functionRole, { tenant_id: 'a', TENANT_ID: 'b' }))).toBeDefined()
		expect(
			stsRefusal(ask(functionRole, { tenant_id: 'a' }, { transitiveTagKeys: ['team'] })),
		).toBeDefined()
		const open = trust({ Principal: '*' })
		expect(mayAssume(open, everything, ask(functionRole, { tenant_id: '*' }))).toBe(false)
	})

	it('throws on what it does not model rather than guess', () => {
		for (const principal of [
			{ Federated: 'cognito-identity.amazonaws.com' },
			{ AWS: `arn:aws:iam::${account}:role/*` },
			'arn:aws:iam::000000000000:root',
		])
			expect(() => trusts(trust({ Principal: principal }), ask(functionRole))).toThrow(
				/not supported/,
			)
		expect(() =>
			trusts(trust({ Principal: '*', Resource: tenantRoleArn }), ask(functionRole)),
		).toThrow(/not supported/)
		expect(() =>
			allows([{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }], {
				action: 'sts:AssumeRole',
				context: {},
				resource: tenantRoleArn,
			}),
		).toThrow(/not supported/)
	})
})

describe("iam-policy: what tenant-api's trust tests would catch", () => {
	/** tenant-api's template with TenantDataRole's trust statement changed. */
	const withTrust = (change: (statement: Statement) => Statement): Template => {
		const template = templateOf('tenant-api')
		const role = template.Resources.TenantDataRole?.Properties as {
			AssumeRolePolicyDocument: { Statement: Statement[] }
		}
		role.AssumeRolePolicyDocument.Statement = role.AssumeRolePolicyDocument.Statement.map(change)
		return template
	}
	const env = { DYNAMODB_TABLE_NAME: 'tenant-items', TENANT_ROLE_ARN: tenantRoleArn }
	const decide = (template: Template, principal: Principal, tags: Record<string, string>) => {
		const resolver = templateResolver(template, env)
		const identity =
			principal.type === 'role' && principal.roleArn.endsWith('/ItemsFunctionRole')
				? resolver.statementsFor('ItemsFunction')
				: everything
		return mayAssume(resolver.trustStatementsFor('TenantDataRole'), identity, ask(principal, tags))
	}

	it("the template's own function role is the principal the resolver names", () => {
		const resolver = templateResolver(templateOf('tenant-api'), env)
		expect(resolver.functionRoleArn('ItemsFunction')).toBe(functionRoleArn)
		expect(decide(templateOf('tenant-api'), functionRole, { tenant_id: 'acme' })).toBe(true)
	})

	it('a trust of the account root, of everyone, or without the tag condition', () => {
		const root = withTrust((statement) => ({
			...statement,
			// CloudFormation's own ${…} substitution syntax, not a JavaScript template.
			Principal: {
				AWS: { 'Fn::Sub': ['arn:$', '{AWS::Partition}:iam::$', '{AWS::AccountId}:root'].join('') },
			},
		}))
		expect(decide(root, adminRole, { tenant_id: 'acme' })).toBe(true)
		const everyone = withTrust((statement) => ({ ...statement, Principal: '*' }))
		expect(decide(everyone, otherAccountRole, { tenant_id: 'acme' })).toBe(true)
		const untagged = withTrust(({ Condition: _, ...statement }) => statement)
		expect(decide(untagged, functionRole, {})).toBe(true)
		// Such a session carries no tenant_id: the tenant role's LeadingKeys condition then matches
		// no key (a policy variable without a value matches nothing), so it reads nothing, but
		// nothing but the code keeps it from tagging another tenant either way.
		const resolver = templateResolver(untagged, env)
		expect(
			allows(resolver.statementsFor('TenantDataRole'), {
				action: 'dynamodb:GetItem',
				resource: resolver.tableArn('tenant-items'),
				context: { 'dynamodb:LeadingKeys': ['TENANT#acme#ITEM#1'] },
			}),
		).toBe(false)
	})
})
