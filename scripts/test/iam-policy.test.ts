import { describe, expect, it } from 'vitest'
import { type Template, templateOf } from '../examples.js'
import {
	type AssumeRoleRequest,
	allows,
	type Call,
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

	it('only its own name spares an IAM user its own policy: not its account, not everyone', () => {
		const alice: Principal = { type: 'user', arn: `arn:aws:iam::${account}:user/alice` }
		// Named among others, the user is still named.
		const named = trust({ Principal: { AWS: [`arn:aws:iam::${account}:root`, alice.arn] } })
		expect(mayAssume(named, [], ask(alice))).toBe(true)
		// "IAM JSON policy elements: Principal": the account as principal delegates to the account,
		// whose identity policies must then allow the user.
		const byAccount = trust({ Principal: { AWS: account } })
		expect(mayAssume(byAccount, [], ask(alice))).toBe(false)
		expect(mayAssume(byAccount, mayAssumeTenantRole, ask(alice))).toBe(true)
		// "Cross-account policy evaluation logic": another account's user needs its own Allow too.
		const bob: Principal = { type: 'user', arn: 'arn:aws:iam::111111111111:user/bob' }
		for (const principal of ['*', { AWS: '*' }]) {
			const open = trust({ Principal: principal })
			expect(mayAssume(open, [], ask(bob)), JSON.stringify(principal)).toBe(false)
			expect(mayAssume(open, everything, ask(bob)), JSON.stringify(principal)).toBe(true)
		}
	})

	it('a statement naming the user spares it its own policy only when that statement applies', () => {
		const alice: Principal = { type: 'user', arn: `arn:aws:iam::${account}:user/alice` }
		const policy: Statement[] = [
			...trust({
				Principal: { AWS: alice.arn },
				Condition: { StringEquals: { 'aws:RequestTag/tenant_id': 'globex' } },
			}),
			...trust({ Principal: { AWS: account } }),
		]
		// The account statement lets alice's own policies decide; the one naming her does not apply.
		expect(mayAssume(policy, [], ask(alice, { tenant_id: 'acme' }))).toBe(false)
		expect(mayAssume(policy, mayAssumeTenantRole, ask(alice, { tenant_id: 'acme' }))).toBe(true)
		expect(mayAssume(policy, [], ask(alice, { tenant_id: 'globex' }))).toBe(true)
	})

	it('a service principal trusts that service and no other', () => {
		const service = (name: string): Principal => ({ type: 'service', service: name })
		const policy = trust({
			Principal: { Service: 'lambda.amazonaws.com' },
			Action: 'sts:AssumeRole',
		})
		expect(trusts(policy, ask(service('lambda.amazonaws.com'), {}))).toBe(true)
		expect(trusts(policy, ask(service('ec2.amazonaws.com'), {}))).toBe(false)
	})

	it("the calling role's own tags are aws:PrincipalTag keys, its session name sts:RoleSessionName", () => {
		const policy = trust({
			Principal: { AWS: functionRoleArn },
			Condition: {
				StringEquals: { 'aws:PrincipalTag/team': 'ops', 'sts:RoleSessionName': 'items' },
			},
		})
		const caller = (team: string): Principal => ({ ...functionRole, tags: { team } })
		const session = (name: string) => ({ roleSessionName: name })
		expect(trusts(policy, ask(caller('ops'), undefined, session('items')))).toBe(true)
		expect(trusts(policy, ask(caller('dev'), undefined, session('items')))).toBe(false)
		expect(trusts(policy, ask(caller('ops'), undefined, session('other')))).toBe(false)
		expect(trusts(policy, ask(functionRole, undefined, session('items')))).toBe(false)
	})

	it('STS refuses past its limits: 50 tags, keys of 1-128 characters, session names of 2-64', () => {
		const tags = (count: number) =>
			Object.fromEntries(Array.from({ length: count }, (_, index) => [`key${index}`, 'v']))
		expect(stsRefusal(ask(functionRole, tags(50)))).toBeUndefined()
		expect(stsRefusal(ask(functionRole, tags(51)))).toBeDefined()
		for (const key of ['', '*', 'a?', 'a#', 'k'.repeat(129)])
			expect(stsRefusal(ask(functionRole, { [key]: 'v' })), key).toBeDefined()
		expect(stsRefusal(ask(functionRole, { ['k'.repeat(128)]: 'v' }))).toBeUndefined()
		expect(stsRefusal(ask(functionRole, {}, { roleSessionName: 'a' }))).toBeDefined()
		expect(stsRefusal(ask(functionRole, {}, { roleSessionName: 'ab' }))).toBeUndefined()
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

describe('iam-policy: identity policies and their conditions', () => {
	const table = `arn:aws:dynamodb:us-east-1:${account}:table/tenant-items`
	const call = (action: string, context: Call['context'] = {}, resource = table): Call => ({
		action,
		resource,
		context,
	})
	const allowWhen = (Condition: Statement['Condition'], Resource: unknown = table): Statement[] => [
		{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource, Condition },
	]
	const getItem = (context: Call['context']) => call('dynamodb:GetItem', context)
	/** A policy variable, spelled out: `${aws:PrincipalTag/<key>}` is IAM's syntax, not JavaScript's. */
	const tagVariable = (key: string) => ['$', `{aws:PrincipalTag/${key}}`].join('')

	it('an explicit Deny wins over any Allow ("Policy evaluation logic")', () => {
		const policy: Statement[] = [
			{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
			{ Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: table },
		]
		expect(allows(policy, call('dynamodb:DeleteItem'))).toBe(false)
		expect(allows(policy, call('dynamodb:GetItem'))).toBe(true)
	})

	it('action names are case-insensitive, resource ARNs case-sensitive', () => {
		expect(
			allows([{ Effect: 'Allow', Action: 'DynamoDB:getitem', Resource: table }], getItem({})),
		).toBe(true)
		const other = table.replace('tenant-items', 'Tenant-Items')
		expect(
			allows([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: other }], getItem({})),
		).toBe(false)
	})

	it('StringLike matches the whole value; StringEquals takes * and ? as themselves', () => {
		const like = allowWhen({
			'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'TENANT#acme#*' },
		})
		expect(allows(like, getItem({ 'dynamodb:LeadingKeys': ['TENANT#acme#ITEM#1'] }))).toBe(true)
		expect(allows(like, getItem({ 'dynamodb:LeadingKeys': ['X#TENANT#acme#ITEM#1'] }))).toBe(false)
		const equals = allowWhen({ StringEquals: { 'aws:PrincipalTag/tenant_id': 'acme*' } })
		expect(allows(equals, getItem({ 'aws:PrincipalTag/tenant_id': 'acme-corp' }))).toBe(false)
		expect(allows(equals, getItem({ 'aws:PrincipalTag/tenant_id': 'acme*' }))).toBe(true)
	})

	it('a policy variable whose tag the session lacks matches nothing, in a Resource or a Condition', () => {
		// Neither an empty string nor the variable's own text: an attacker picks the partition key.
		const resource = allowWhen(undefined, `${table}-${tagVariable('team')}*`)
		expect(allows(resource, call('dynamodb:GetItem', {}, `${table}-x`))).toBe(false)
		expect(
			allows(resource, call('dynamodb:GetItem', { 'aws:PrincipalTag/team': 'x' }, `${table}-x`)),
		).toBe(true)
		const condition = allowWhen({
			'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': `TENANT#${tagVariable('tenant_id')}#*` },
		})
		for (const key of ['TENANT##ITEM#1', `TENANT#${tagVariable('tenant_id')}#ITEM#1`])
			expect(allows(condition, getItem({ 'dynamodb:LeadingKeys': [key] })), key).toBe(false)
		const acme = { 'aws:PrincipalTag/tenant_id': 'acme' }
		expect(allows(condition, getItem({ ...acme, 'dynamodb:LeadingKeys': ['TENANT#acme#1'] }))).toBe(
			true,
		)
	})

	it('ArnEquals takes * and ? as wildcards, as ArnLike does ("Condition operators": ARN)', () => {
		// Unlike StringEquals: IAM documents ArnEquals and ArnLike as the same operator.
		const function_ = (name: string) => `arn:aws:lambda:us-east-1:${account}:function:${name}`
		const policy = allowWhen({
			ArnEquals: { 'aws:SourceArn': [function_('items-*'), function_('report-?')] },
		})
		expect(allows(policy, getItem({ 'aws:SourceArn': function_('items-api') }))).toBe(true)
		expect(allows(policy, getItem({ 'aws:SourceArn': function_('report-1') }))).toBe(true)
		expect(allows(policy, getItem({ 'aws:SourceArn': function_('other') }))).toBe(false)
	})

	it('context key names are case-insensitive ("IAM JSON policy elements: Condition")', () => {
		const policy = allowWhen({ StringEquals: { 'AWS:PRINCIPALTAG/tenant_id': 'acme' } })
		expect(allows(policy, getItem({ 'aws:PrincipalTag/tenant_id': 'acme' }))).toBe(true)
	})

	it('keys under one operator must all match', () => {
		const policy = allowWhen({
			StringEquals: { 'aws:PrincipalTag/tenant_id': 'acme', 'aws:PrincipalTag/team': 'ops' },
		})
		const tags = (team: string) => ({
			'aws:PrincipalTag/tenant_id': 'acme',
			'aws:PrincipalTag/team': team,
		})
		expect(allows(policy, getItem(tags('ops')))).toBe(true)
		expect(allows(policy, getItem(tags('dev')))).toBe(false)
	})

	it('ForAllValues holds without the key or with no values; ForAnyValue needs a matching value', () => {
		// "Multivalued context keys": ForAllValues is also true when the request lacks the key.
		const all = allowWhen({ 'ForAllValues:StringEquals': { 'aws:TagKeys': 'tenant_id' } })
		const any = allowWhen({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'tenant_id' } })
		const cases: [Call['context'], boolean, boolean][] = [
			[{}, true, false],
			[{ 'aws:TagKeys': [] }, true, false],
			[{ 'aws:TagKeys': ['tenant_id'] }, true, true],
			[{ 'aws:TagKeys': ['tenant_id', 'team'] }, false, true],
			[{ 'aws:TagKeys': ['team'] }, false, false],
		]
		for (const [context, forAll, forAny] of cases) {
			expect(allows(all, getItem(context)), `ForAllValues ${JSON.stringify(context)}`).toBe(forAll)
			expect(allows(any, getItem(context)), `ForAnyValue ${JSON.stringify(context)}`).toBe(forAny)
		}
	})

	it('Null: true for an absent key or an empty list, and every key it names must agree', () => {
		const absent = allowWhen({ Null: { 'aws:TagKeys': 'true', 'sts:TransitiveTagKeys': 'true' } })
		expect(allows(absent, getItem({ 'aws:TagKeys': [] }))).toBe(true)
		expect(allows(absent, getItem({ 'aws:TagKeys': ['tenant_id'] }))).toBe(false)
	})

	it('throws rather than guess: a wildcard before the resource segment, a multivalued key without a set operator', () => {
		const anyAccount = 'arn:aws:dynamodb:us-east-1:*:table/tenant-items'
		expect(() => allows(allowWhen(undefined, anyAccount), getItem({}))).toThrow(/wildcards/)
		const single = allowWhen({ StringLike: { 'dynamodb:LeadingKeys': 'TENANT#*' } })
		expect(() => allows(single, getItem({ 'dynamodb:LeadingKeys': ['TENANT#acme'] }))).toThrow(
			/not supported/,
		)
	})
})
