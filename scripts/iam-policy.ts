import { isDeepStrictEqual } from 'node:util'
import { type AssumeRoleCall, type LocalStack, localAccountId } from '@tenantry/testing'
import type { Template } from './examples.js'

/**
 * The examples' SAM templates against what their handlers send the local stack. IAM cannot run
 * locally, so this reads the templates' statements and decides each recorded call the way the IAM
 * User Guide says IAM does, for the subset of the policy language the templates use; anything
 * outside it (NotAction, managed policies, other condition operators…) throws rather than guess:
 *
 * - "IAM JSON policy elements: Action": action names are case-insensitive, `*` and `?` wildcards.
 * - "IAM JSON policy elements: Resource": `*` any run of characters and `?` one, within an ARN
 *   segment; a `*` that ends a segment may match past its colons.
 * - "String condition operators": `StringLike` is case-sensitive, `*` any run of characters
 *   (including none), `?` exactly one.
 * - "Conditions with multiple context keys or values" / "Multivalued context keys": operators
 *   AND, keys AND, a key's values OR; `ForAllValues` holds when every value of the request's key
 *   matches one of the policy's (and also when the request has no such key), `ForAnyValue` when
 *   one does.
 * - "Policy evaluation logic": an explicit Deny wins over any Allow; without an Allow, denied.
 * - "IAM policy elements: Variables and tags": `${aws:PrincipalTag/key}` is the session's tag;
 *   a variable whose key the request lacks is taken here to match nothing.
 * - Secrets Manager User Guide, "Permissions policy examples": a secret's ARN is its name, `-`
 *   and six random characters, so `name/*` covers `name/x-AbCdEf` and a bare name none.
 *
 * Roles' trust policies (`AssumeRolePolicyDocument`), for `sts:AssumeRole` and `sts:TagSession`:
 *
 * - "IAM JSON policy elements: Principal": `"*"` (or `{ AWS: "*" }`) is everyone; an account id or
 *   `arn:…:iam::<account>:root` is every principal of that account, which its own policies must
 *   then also allow; a role's ARN is that role's sessions; a service principal is that service.
 *   Wildcards in other principal ARNs, `Federated` and `NotPrincipal` throw.
 * - "Policy evaluation logic" / "Cross-account policy evaluation logic": a role trust policy must
 *   allow the caller, and the caller's identity-based policies must allow the call too, except for
 *   an IAM user (or a role session's own ARN) the trust policy names itself.
 * - "Passing session tags in AWS STS": tagging a session is `sts:TagSession`, decided with the
 *   same context as its `sts:AssumeRole`; the request's tags are `aws:RequestTag/<key>`, their
 *   keys `aws:TagKeys`, its transitive keys `sts:TransitiveTagKeys`.
 * - STS API Reference, "Tag": a key is 1-128 characters, a value 0-256, each of
 *   `[\p{L}\p{Z}\p{N}_.:/=+\-@]` (no `*`, `?` or `#`); at most 50 tags, keys distinct whatever
 *   their case; `AssumeRole`: a session name is 2-64 of `[\w+=,.@-]`. STS refuses such a
 *   request before any policy is read.
 * - "Condition operators": `ArnEquals` is `ArnLike` (both take `*` and `?`), and `ArnLike` is
 *   `StringLike` here (the ARNs compared have no wildcard before their resource segment); `Null`
 *   true when the key is absent (or an empty list).
 */

export type ConditionBlock = Record<string, Record<string, string | string[]>>

export interface Statement {
	Sid?: string
	Effect: string
	Action?: string | string[]
	Resource?: unknown
	Condition?: ConditionBlock
	[element: string]: unknown
}

/** A request as IAM evaluates it: `dynamodb:PutItem` on a table ARN, with its context keys. */
export interface Call {
	action: string
	resource: string
	context: Record<string, string | string[]>
}

/** A recorded request with the credentials that signed it: a tenant session, or the function's role. */
export interface SignedCall extends Call {
	session: AssumeRoleCall | undefined
	/** e.g. `dynamodb:PutItem webhook-events TENANT#acme#EVENT#evt-1`, for assertion messages. */
	label: string
}

/** The local stack's account and region, as its endpoints give ARNs. */
const localArn = { partition: 'aws', region: 'us-east-1', accountId: localAccountId }

const likeRegExp = (pattern: string, flags = 's') =>
	new RegExp(
		`^${[...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
		flags,
	)

/** IAM `StringLike`: `*` any run of characters, `?` exactly one, case-sensitive. */
const stringLike = (pattern: string, value: string): boolean => likeRegExp(pattern).test(value)

const actionLike = (pattern: string, action: string): boolean =>
	likeRegExp(pattern, 'si').test(action)

/** Resource wildcards in any of an ARN's first five segments are refused: none of ours has one. */
const resourceLike = (pattern: string, arn: string): boolean => {
	if (pattern === '*') return true
	if (/[*?]/.test(pattern.split(':').slice(0, 5).join(':')))
		throw new Error(`resource pattern ${pattern}: wildcards before the resource segment`)
	return stringLike(pattern, arn)
}

const unsupported = (what: string): never => {
	throw new Error(`iam-policy: ${what} is not supported; extend scripts/iam-policy.ts`)
}

/**
 * The identity-based statements a template gives a function (its SAM `Policies`, inline
 * statements only) or an `AWS::IAM::Role` (its `Policies[].PolicyDocument`). A function without
 * `Policies` gets none: SAM's execution role then allows only logs (and X-Ray with tracing).
 */
export const statementsOf = (template: Template, logicalId: string): Statement[] => {
	const resource = template.Resources[logicalId]
	if (resource === undefined) throw new Error(`no resource ${logicalId}`)
	const properties = resource.Properties ?? {}
	if (resource.Type === 'AWS::Serverless::Function') {
		if (properties.Role !== undefined) unsupported(`${logicalId}: a Role of its own`)
		const policies = (properties.Policies ?? []) as unknown[]
		return [policies]
			.flat()
			.flatMap((policy) =>
				typeof policy === 'object' && policy !== null && 'Statement' in policy
					? [(policy as { Statement: Statement | Statement[] }).Statement].flat()
					: unsupported(`${logicalId}: policy ${JSON.stringify(policy)}`),
			)
	}
	if (resource.Type === 'AWS::IAM::Role') {
		if (properties.ManagedPolicyArns !== undefined) unsupported(`${logicalId}: ManagedPolicyArns`)
		return (
			(properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
		).flatMap((policy) => [policy.PolicyDocument.Statement].flat())
	}
	return unsupported(`statements of a ${resource.Type}`)
}

/** An `AWS::IAM::Role`'s trust statements: its `AssumeRolePolicyDocument`, unresolved. */
export const trustStatementsOf = (template: Template, logicalId: string): Statement[] => {
	const resource = template.Resources[logicalId]
	if (resource?.Type !== 'AWS::IAM::Role') return unsupported(`trust policy of ${logicalId}`)
	const document = resource.Properties?.AssumeRolePolicyDocument as
		| { Statement?: Statement | Statement[] }
		| undefined
	return [document?.Statement ?? []].flat()
}

/**
 * Resolves template expressions to the values the local test gives the handlers: a resource or
 * parameter is bound through the environment variable the template sets from it (`!Ref X`) and
 * `env` holds; an expression the template also gives an environment variable is that variable's
 * value. Tables become table ARNs, secrets their ARN pattern (`name-??????`).
 */
export const templateResolver = (template: Template, env: Record<string, string | undefined>) => {
	const bound: [expression: unknown, value: string][] = []
	const variableSets = [
		template.Globals?.Function?.Environment,
		...Object.values(template.Resources)
			.filter((resource) => resource.Type === 'AWS::Serverless::Function')
			.map((resource) => resource.Properties?.Environment),
	]
	for (const set of variableSets) {
		const variables = (set as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}
		for (const [name, expression] of Object.entries(variables)) {
			const value = env[name]
			if (value !== undefined) bound.push([expression, value])
		}
	}
	const boundValue = (expression: unknown) =>
		bound.find(([candidate]) => isDeepStrictEqual(candidate, expression))?.[1]
	const { partition, region, accountId } = localArn
	const pseudo: Record<string, string> = {
		'AWS::Partition': partition,
		'AWS::Region': region,
		'AWS::AccountId': accountId,
		'AWS::URLSuffix': 'amazonaws.com',
	}
	const boundName = (logicalId: string): string =>
		boundValue({ Ref: logicalId }) ??
		unsupported(`${logicalId}: no environment variable the test sets is !Ref ${logicalId}`)
	const typeOf = (logicalId: string) => template.Resources[logicalId]?.Type

	/** A table's name as the handler gets it. */
	const tableName = (logicalId: string): string => boundName(logicalId)
	/** The logical id of the table the handler knows by this name. */
	const tableOf = (name: string): string | undefined =>
		Object.keys(template.Resources).find(
			(id) => typeOf(id) === 'AWS::DynamoDB::Table' && boundValue({ Ref: id }) === name,
		)
	const tableArn = (name: string) =>
		`arn:${partition}:dynamodb:${region}:${accountId}:table/${name}`
	/** A secret's ARN as IAM sees it, for a SecretId sent as an ARN or a name. */
	const secretArn = (secretId: string, suffix = 'AbC123') =>
		secretId.startsWith('arn:')
			? secretId
			: `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${secretId}-${suffix}`

	/** `!Ref`: a secret's ARN (the handler may be given its name), a parameter's value. */
	const ref = (name: string): string => {
		if (typeOf(name) === 'AWS::SecretsManager::Secret') return secretArn(boundName(name), '??????')
		const value = pseudo[name] ?? boundValue({ Ref: name })
		if (value !== undefined) return value
		const parameter = (template as { Parameters?: Record<string, { Default?: unknown }> })
			.Parameters?.[name]
		if (typeof parameter?.Default === 'string') return parameter.Default
		return unsupported(`!Ref ${name} (${typeOf(name) ?? 'unknown'})`)
	}
	/**
	 * The ARN of the execution role SAM creates for a function without a `Role` of its own,
	 * `<FunctionId>Role` (deployed as `<stack>-<FunctionId>Role-<random>`: here its logical id).
	 */
	const functionRoleArn = (functionId: string): string => {
		const fn = template.Resources[functionId]
		if (fn?.Type !== 'AWS::Serverless::Function' || fn.Properties?.Role !== undefined)
			return unsupported(`the role SAM creates for ${functionId}`)
		return `arn:${partition}:iam::${accountId}:role/${functionId}Role`
	}
	const isSamFunctionRole = (logicalId: string) =>
		typeOf(logicalId) === undefined &&
		logicalId.endsWith('Role') &&
		typeOf(logicalId.slice(0, -'Role'.length)) === 'AWS::Serverless::Function'
	const getAtt = (logicalId: string, attribute: string): string =>
		typeOf(logicalId) === 'AWS::DynamoDB::Table' && attribute === 'Arn'
			? tableArn(tableName(logicalId))
			: isSamFunctionRole(logicalId) && attribute === 'Arn'
				? functionRoleArn(logicalId.slice(0, -'Role'.length))
				: unsupported(`!GetAtt ${logicalId}.${attribute}`)

	const resolve = (expression: unknown): string[] => {
		if (typeof expression === 'string') return [expression]
		if (Array.isArray(expression)) return expression.flatMap(resolve)
		const {
			Ref,
			'Fn::GetAtt': getAttribute,
			'Fn::Sub': sub,
		} = expression as Record<string, unknown>
		if (typeof Ref === 'string') return [ref(Ref)]
		// An expression the handler is given as it stands (a role ARN built with the stack's name).
		const same = boundValue(expression)
		if (same !== undefined) return [same]
		if (getAttribute !== undefined) {
			const [id = '', attribute = ''] =
				typeof getAttribute === 'string' ? getAttribute.split('.') : (getAttribute as string[])
			return [getAtt(id, attribute)]
		}
		if (typeof sub === 'string')
			return [
				sub.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
					const [id = '', attribute] = name.split('.')
					return attribute === undefined ? ref(id) : getAtt(id, attribute)
				}),
			]
		return unsupported(`expression ${JSON.stringify(expression)}`)
	}

	/** The statements with their `Resource` resolved to ARN patterns of the local stack. */
	const statements = (list: Statement[]): Statement[] =>
		list.map((statement) => ({
			...statement,
			...(statement.Resource === undefined ? {} : { Resource: resolve(statement.Resource) }),
		}))

	/** A function's or role's statements (`statementsOf`), resolved. */
	const statementsFor = (logicalId: string) => statements(statementsOf(template, logicalId))

	/** A role's trust statements (`trustStatementsOf`) with their `Principal` resolved to ARNs. */
	const trustStatementsFor = (logicalId: string): Statement[] =>
		trustStatementsOf(template, logicalId).map((statement) => {
			const principal = statement.Principal
			if (principal === undefined || principal === '*') return statement
			if (typeof principal !== 'object' || principal === null)
				return unsupported(`Principal ${JSON.stringify(principal)}`)
			return {
				...statement,
				Principal: Object.fromEntries(
					Object.entries(principal).map(([type, value]) => [type, resolve(value)]),
				),
			}
		})

	return {
		resolve,
		statements,
		statementsFor,
		trustStatementsFor,
		functionRoleArn,
		tableName,
		tableOf,
		tableArn,
		secretArn,
	}
}

export type TemplateResolver = ReturnType<typeof templateResolver>

const substitute = (value: string, context: Call['context']): string | undefined => {
	let missing = false
	const result = value.replace(/\$\{([\w:/-]+)\}/g, (_, key: string) => {
		const found = context[key]
		if (typeof found !== 'string') missing = true
		return typeof found === 'string' ? found : ''
	})
	return missing ? undefined : result
}

const contextValue = (context: Call['context'], key: string) =>
	Object.entries(context).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1]

const conditionHolds = (condition: ConditionBlock | undefined, context: Call['context']) =>
	Object.entries(condition ?? {}).every(([operator, keys]) => {
		const [qualifier, test] = operator.includes(':') ? operator.split(':') : [undefined, operator]
		if (test === 'Null') {
			if (qualifier !== undefined) return unsupported(`condition operator ${operator}`)
			return Object.entries(keys).every(([key, expected]) => {
				if (expected !== 'true' && expected !== 'false')
					return unsupported(`Null ${JSON.stringify(expected)} for ${key}`)
				const requested = contextValue(context, key)
				const absent = requested === undefined || (Array.isArray(requested) && !requested.length)
				return absent === (expected === 'true')
			})
		}
		const compare =
			test === 'StringLike' || test === 'ArnLike' || test === 'ArnEquals'
				? stringLike
				: test === 'StringEquals'
					? (pattern: string, value: string) => pattern === value
					: unsupported(`condition operator ${operator}`)
		return Object.entries(keys).every(([key, policyValues]) => {
			const patterns = [policyValues].flat().flatMap((value) => substitute(value, context) ?? [])
			const matches = (value: string) => patterns.some((pattern) => compare(pattern, value))
			const requested = contextValue(context, key)
			if (qualifier === 'ForAllValues') return [requested ?? []].flat().every(matches)
			if (qualifier === 'ForAnyValue') return [requested ?? []].flat().some(matches)
			if (qualifier !== undefined) return unsupported(`condition operator ${operator}`)
			if (Array.isArray(requested)) return unsupported(`${operator} on the multivalued ${key}`)
			return requested !== undefined && matches(requested)
		})
	})

const applies = (statement: Statement, call: Call): boolean => {
	for (const element of ['NotAction', 'NotResource', 'NotPrincipal'])
		if (element in statement) unsupported(element)
	if ('Principal' in statement) unsupported('a Principal in an identity-based statement (trusts())')
	const actions = [statement.Action ?? []].flat()
	const resources = [(statement.Resource ?? []) as string | string[]].flat()
	return (
		actions.some((pattern) => actionLike(pattern, call.action)) &&
		resources.some((pattern) => {
			const resolved = substitute(pattern, call.context)
			return resolved !== undefined && resourceLike(resolved, call.resource)
		}) &&
		conditionHolds(statement.Condition, call.context)
	)
}

/** Whether these (resolved) statements allow the call: an Allow applies and no Deny does. */
export const allows = (statements: Statement[], call: Call): boolean =>
	!statements.some((statement) => statement.Effect === 'Deny' && applies(statement, call)) &&
	statements.some((statement) => statement.Effect === 'Allow' && applies(statement, call))

/** The statements (by index) that allow the call: to find statements no call needs. */
export const allowingStatements = (statements: Statement[], call: Call): number[] =>
	statements.flatMap((statement, index) =>
		statement.Effect === 'Allow' && applies(statement, call) ? [index] : [],
	)

/** The context keys session tags give: `aws:PrincipalTag/<key>`. */
const principalTags = (tags: Record<string, string> = {}): Record<string, string> =>
	Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:PrincipalTag/${key}`, value]))

const itemOperations = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'])

/** Forgets what the stack recorded, so the next calls are a flow's own. */
export const clearRecordedCalls = (stack: LocalStack): void => {
	stack.dynamodb.clearRequests()
	stack.secretsManager.clearRequests()
	stack.sts.resetCalls()
}

/**
 * Every DynamoDB and Secrets Manager request that reached the stack, and every `AssumeRole` (with
 * its `TagSession` when it tags the session), as IAM would see it, with the signing session.
 * DynamoDB's `dynamodb:LeadingKeys` is the partition key value of the item named (the table's
 * HASH key in the template); batch, query and scan requests are refused (they are not item calls).
 */
export const recordedCalls = (
	stack: LocalStack,
	template: Template,
	resolver: TemplateResolver,
): SignedCall[] => {
	const dynamodb = stack.dynamodb.requests.map((request): SignedCall => {
		const input = request.input as {
			TableName?: string
			Key?: Record<string, { S?: string }>
			Item?: Record<string, { S?: string }>
		}
		if (!itemOperations.has(request.operation)) unsupported(`DynamoDB ${request.operation}`)
		const tableName = input.TableName ?? ''
		const table = resolver.tableOf(tableName)
		const keySchema = (
			table === undefined ? [] : (template.Resources[table]?.Properties?.KeySchema ?? [])
		) as {
			AttributeName: string
			KeyType: string
		}[]
		const hash = keySchema.find((key) => key.KeyType === 'HASH')?.AttributeName ?? 'pk'
		const partitionKey = (input.Key ?? input.Item)?.[hash]?.S ?? ''
		const session = stack.sts.callForAccessKey(request.accessKeyId)
		return {
			...dynamoDbCall(resolver, request.operation, tableName, partitionKey, session?.tags),
			session,
			label: `dynamodb:${request.operation} ${tableName} ${partitionKey}`,
		}
	})
	const secretsManager = stack.secretsManager.requests.map((request): SignedCall => {
		const secretId = String(request.input.SecretId ?? '')
		const session = stack.sts.callForAccessKey(request.accessKeyId)
		return {
			...secretCall(resolver, request.operation, secretId, session?.tags),
			session,
			label: `secretsmanager:${request.operation} ${secretId}${
				typeof request.input.VersionStage === 'string' ? ` (${request.input.VersionStage})` : ''
			}`,
		}
	})
	const sts = stack.sts.assumeRoleCalls.flatMap((call): SignedCall[] =>
		// The stand-in does not record who assumed the role; the examples never chain roles.
		stsCalls({
			roleArn: call.roleArn,
			tags: call.tags,
			transitiveTagKeys: call.transitiveTagKeys,
			roleSessionName: call.roleSessionName,
		}).map((sent) => ({
			...sent,
			session: undefined,
			label: `${sent.action} ${call.roleArn} ${JSON.stringify(call.tags)}`,
		})),
	)
	return [...dynamodb, ...secretsManager, ...sts]
}

/** A DynamoDB item call to check by hand: `operation` on the table the handler knows as `tableName`. */
export const dynamoDbCall = (
	resolver: TemplateResolver,
	operation: string,
	tableName: string,
	partitionKey: string,
	tags: Record<string, string> = {},
): Call => ({
	action: `dynamodb:${operation}`,
	resource: resolver.tableArn(tableName),
	context: { 'dynamodb:LeadingKeys': [partitionKey], ...principalTags(tags) },
})

/** A Secrets Manager call to check by hand, for a SecretId sent as a name or an ARN. */
export const secretCall = (
	resolver: TemplateResolver,
	operation: string,
	secretId: string,
	tags: Record<string, string> = {},
): Call => ({
	action: `secretsmanager:${operation}`,
	resource: resolver.secretArn(secretId),
	context: principalTags(tags),
})

/**
 * Who calls `AssumeRole`: a session of a role (a Lambda function runs on its execution role's),
 * an IAM user, an account's root user, or an AWS service (which calls for a resource of
 * `sourceAccount`, `sourceArn`).
 */
export type Principal =
	| { type: 'role'; roleArn: string; tags?: Record<string, string> }
	| { type: 'user'; arn: string }
	| { type: 'root'; account: string }
	| { type: 'service'; service: string; sourceArn?: string; sourceAccount?: string }

/** An `AssumeRole` request as STS receives it. */
export interface AssumeRoleRequest {
	principal: Principal
	roleArn: string
	/** Session tags (`Tags`); `TagSession` is asked for when there are any. */
	tags?: Record<string, string>
	transitiveTagKeys?: string[]
	roleSessionName?: string
}

const accountOf = (arn: string): string => arn.split(':')[4] ?? ''

const principalAccount = (principal: Principal): string | undefined =>
	principal.type === 'root'
		? principal.account
		: principal.type === 'role'
			? accountOf(principal.roleArn)
			: principal.type === 'user'
				? accountOf(principal.arn)
				: undefined

/** `aws:PrincipalArn`: a role session's is its role's ARN. */
const principalArn = (principal: Principal): string | undefined =>
	principal.type === 'role'
		? principal.roleArn
		: principal.type === 'user'
			? principal.arn
			: principal.type === 'root'
				? `arn:${localArn.partition}:iam::${principal.account}:root`
				: undefined

/** An `AssumeRole` the STS stand-in recorded, as made by `principal` (the stand-in does not know). */
export const recordedAssumeRole = (
	call: AssumeRoleCall,
	principal: Principal,
): AssumeRoleRequest => ({
	principal,
	roleArn: call.roleArn,
	tags: call.tags,
	transitiveTagKeys: call.transitiveTagKeys,
	roleSessionName: call.roleSessionName,
})

/** An `AssumeRole` whose caller may be unknown (then its context has no `aws:Principal…` key). */
type StsRequest = Omit<AssumeRoleRequest, 'principal'> & { principal?: Principal | undefined }

/** The request context of an `AssumeRole`: its tags, transitive keys, session name and caller. */
const assumeRoleContext = (request: StsRequest): Call['context'] => {
	const tags = request.tags ?? {}
	const { principal } = request
	const context: Call['context'] = {
		...Object.fromEntries(
			Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value]),
		),
		...(principal?.type === 'role' ? principalTags(principal.tags) : {}),
	}
	if (Object.keys(tags).length) context['aws:TagKeys'] = Object.keys(tags)
	if (request.transitiveTagKeys?.length)
		context['sts:TransitiveTagKeys'] = request.transitiveTagKeys
	if (request.roleSessionName !== undefined)
		context['sts:RoleSessionName'] = request.roleSessionName
	if (principal === undefined) return context
	const arn = principalArn(principal)
	if (arn !== undefined) context['aws:PrincipalArn'] = arn
	const account = principalAccount(principal)
	if (account !== undefined) context['aws:PrincipalAccount'] = account
	if (principal.type === 'service') {
		context['aws:PrincipalServiceName'] = principal.service
		if (principal.sourceArn !== undefined) context['aws:SourceArn'] = principal.sourceArn
		if (principal.sourceAccount !== undefined)
			context['aws:SourceAccount'] = principal.sourceAccount
	}
	return context
}

/** The calls IAM decides for one `AssumeRole`: `sts:AssumeRole`, and `sts:TagSession` with tags. */
export const stsCalls = (request: StsRequest): Call[] => {
	const context = assumeRoleContext(request)
	const tagged = Object.keys(request.tags ?? {}).length > 0 || !!request.transitiveTagKeys?.length
	return ['sts:AssumeRole', ...(tagged ? ['sts:TagSession'] : [])].map((action) => ({
		action,
		resource: request.roleArn,
		context,
	}))
}

const tagKeyPattern = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u
const tagValuePattern = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u
const sessionNamePattern = /^[\w+=,.@-]{2,64}$/

/** Why STS refuses the request before reading any policy (a `ValidationError`), if it does. */
export const stsRefusal = (request: AssumeRoleRequest): string | undefined => {
	const tags = Object.entries(request.tags ?? {})
	if (tags.length > 50) return 'more than 50 session tags'
	for (const [key, value] of tags) {
		if (!tagKeyPattern.test(key)) return `tag key ${JSON.stringify(key)}`
		if (!tagValuePattern.test(value)) return `tag value ${JSON.stringify(value)} of ${key}`
	}
	const keys = tags.map(([key]) => key.toLowerCase())
	if (new Set(keys).size !== keys.length) return 'tag keys that differ only in case'
	for (const key of request.transitiveTagKeys ?? [])
		if (!keys.includes(key.toLowerCase())) return `transitive key ${key} is not a tag`
	if (request.roleSessionName !== undefined && !sessionNamePattern.test(request.roleSessionName))
		return `session name ${JSON.stringify(request.roleSessionName)}`
	return undefined
}

/** How a trust statement's `Principal` covers the caller: `exact` (names it), `account`, or none. */
const principalMatch = (
	element: unknown,
	principal: Principal,
): 'everyone' | 'account' | 'exact' | undefined => {
	if (element === '*') return 'everyone'
	if (typeof element !== 'object' || element === null)
		return unsupported(`Principal ${JSON.stringify(element)}`)
	let best: 'everyone' | 'account' | 'exact' | undefined
	const better = (found: 'everyone' | 'account' | 'exact') => {
		const rank = { everyone: 1, account: 2, exact: 3 }
		if (best === undefined || rank[found] > rank[best]) best = found
	}
	for (const [type, values] of Object.entries(element)) {
		for (const value of [values].flat() as string[]) {
			if (type === 'Service') {
				if (principal.type === 'service' && value.toLowerCase() === principal.service.toLowerCase())
					better('exact')
				continue
			}
			if (type !== 'AWS') return unsupported(`a ${type} principal`)
			if (value === '*') {
				better('everyone')
				continue
			}
			const root = /^(?:arn:[\w-]+:iam::(\d{12}):root|(\d{12}))$/.exec(value)
			if (root !== null) {
				if (principalAccount(principal) === (root[1] ?? root[2])) better('account')
				continue
			}
			if (/[*?]/.test(value)) return unsupported(`a wildcard in the principal ${value}`)
			if (
				(principal.type === 'role' && value === principal.roleArn) ||
				(principal.type === 'user' && value === principal.arn)
			)
				better('exact')
		}
	}
	return best
}

/** Whether a trust statement applies to the call: principal, action and condition. */
const trustApplies = (statement: Statement, call: Call, principal: Principal) => {
	for (const element of ['NotAction', 'NotPrincipal', 'NotResource', 'Resource'])
		if (element in statement) unsupported(`${element} in a trust policy`)
	return (
		principalMatch(statement.Principal, principal) !== undefined &&
		[statement.Action ?? []].flat().some((pattern) => actionLike(pattern, call.action)) &&
		conditionHolds(statement.Condition, call.context)
	)
}

/**
 * Whether a role's (resolved) trust statements let this caller make this request: for
 * `sts:AssumeRole` and, with tags, `sts:TagSession`, an Allow applies and no Deny does.
 * STS's own refusals (`stsRefusal`) are not a trust policy's: see `mayAssume`.
 */
export const trusts = (trust: Statement[], request: AssumeRoleRequest): boolean =>
	stsCalls(request).every(
		(call) =>
			!trust.some(
				(statement) =>
					statement.Effect === 'Deny' && trustApplies(statement, call, request.principal),
			) &&
			trust.some(
				(statement) =>
					statement.Effect === 'Allow' && trustApplies(statement, call, request.principal),
			),
	)

/**
 * Whether the caller gets a session: STS accepts the request, the role's trust policy allows it,
 * and so do the caller's identity statements (`identity`), unless the trust policy names the
 * caller itself, an IAM user (a role is never named itself: its sessions are).
 */
export const mayAssume = (
	trust: Statement[],
	identity: Statement[],
	request: AssumeRoleRequest,
): boolean => {
	if (stsRefusal(request) !== undefined || !trusts(trust, request)) return false
	return stsCalls(request).every((call) => {
		const named = trust.some(
			(statement) =>
				statement.Effect === 'Allow' &&
				request.principal.type === 'user' &&
				principalMatch(statement.Principal, request.principal) === 'exact' &&
				trustApplies(statement, call, request.principal),
		)
		return named || request.principal.type === 'service' || allows(identity, call)
	})
}
