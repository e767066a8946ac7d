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
	const getAtt = (logicalId: string, attribute: string): string =>
		typeOf(logicalId) === 'AWS::DynamoDB::Table' && attribute === 'Arn'
			? tableArn(tableName(logicalId))
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

	return { resolve, statements, statementsFor, tableName, tableOf, tableArn, secretArn }
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
		const compare =
			test === 'StringLike'
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
	const sts = stack.sts.assumeRoleCalls.flatMap((call): SignedCall[] => {
		const context = {
			...Object.fromEntries(
				Object.entries(call.tags).map(([key, value]) => [`aws:RequestTag/${key}`, value]),
			),
			'aws:TagKeys': Object.keys(call.tags),
		}
		const actions = ['sts:AssumeRole', ...(Object.keys(call.tags).length ? ['sts:TagSession'] : [])]
		return actions.map((action) => ({
			action,
			resource: call.roleArn,
			context,
			// The stand-in does not record who assumed the role; the examples never chain roles.
			session: undefined,
			label: `${action} ${call.roleArn} ${JSON.stringify(call.tags)}`,
		}))
	})
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
