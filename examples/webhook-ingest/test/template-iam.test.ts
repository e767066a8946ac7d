import { type LocalStack, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
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
	secretCall,
	type TemplateResolver,
	templateResolver,
} from '../../../scripts/iam-policy.js'
import {
	eventsTable,
	type Handler,
	pseudonymKeySecretId,
	signedDelivery,
	startWebhookIngest,
	tenantSecrets,
} from './local-webhook-ingest.js'

/**
 * The template's IAM statements against what the handler sends (the stand-ins record every
 * request and the access key that signed it): each Secrets Manager and DynamoDB call of the
 * example's flows (first delivery, replay, retry, unknown tenant, forged signature, the outages
 * that still make calls) must be one the function's role allows, on the secret or table the
 * template gives the handler, and each statement must be one some call needs.
 */

const template = templateOf('webhook-ingest')
const replayTable = 'webhook-replay'
const secrets = tenantSecrets

let stack: LocalStack
let handler: Handler
let resolver: TemplateResolver
let statements: Statement[]
beforeAll(async () => {
	;({ stack, handler } = await startWebhookIngest(secrets))
	resolver = templateResolver(template, process.env)
	statements = resolver.statementsFor('IngestFunction')
})
afterAll(() => stack.stop())

let sequence = 0
const body = (extra: Record<string, unknown> = {}) =>
	JSON.stringify({
		id: `evt-iam-${++sequence}`,
		type: 'invoice.paid',
		data: { amount: 4200, email: 'jane@example.com' },
		...extra,
	})
const send = async (event: ReturnType<typeof signedDelivery>) =>
	((await handler(structuredClone(event), lambdaContext())) as APIGatewayProxyStructuredResultV2)
		.statusCode
const deliver = (tenant: keyof typeof secrets, payload = body(), timestamp?: Date) =>
	send(signedDelivery(tenant, secrets[tenant], payload, timestamp ? { timestamp } : {}))
/** A delivery while a table or Secrets Manager answers 500. */
const deliverWhileDown = async (
	down: 'events' | 'replay' | 'secrets',
	tenant: keyof typeof secrets,
) => {
	if (down === 'secrets') stack.secretsManager.faults.inject({ type: 'server-error' })
	else
		stack.dynamodb.faults.inject(
			{ type: 'server-error' },
			{ target: down === 'events' ? eventsTable : replayTable },
		)
	try {
		return await deliver(tenant)
	} finally {
		stack.dynamodb.faults.clear()
		stack.secretsManager.faults.clear()
	}
}

/** Each flow with the status the example's tests and demo expect of it. */
const flows: [name: string, expected: number, run: () => Promise<number | undefined>][] = [
	['first delivery (fetches the secret and the pseudonym key)', 202, () => deliver('acme')],
	[
		'the same delivery again (replay), then a re-signed retry (stored once)',
		202,
		async () => {
			const payload = body()
			const first = signedDelivery('acme', secrets.acme, payload)
			expect(await send(first)).toBe(202)
			expect(await send(first)).toBe(401)
			return deliver('acme', payload, new Date(Date.now() + 1_000))
		},
	],
	[
		"claims acme, signed with globex's secret (the previous secret is fetched)",
		401,
		() => send(signedDelivery('acme', secrets.globex, body())),
	],
	['unknown tenant', 401, () => send(signedDelivery('umbrella', 'guessed', body()))],
	['payload names another tenant', 403, () => deliver('acme', body({ tenantId: 'globex' }))],
	['not a webhook', 422, () => deliver('acme', JSON.stringify({ hello: 'world' }))],
	[
		'events table down: the write fails, the claim is released',
		503,
		() => deliverWhileDown('events', 'globex'),
	],
	[
		'replay table down: the claim fails and is withdrawn',
		503,
		() => deliverWhileDown('replay', 'globex'),
	],
	['Secrets Manager down, a tenant never seen', 503, () => deliverWhileDown('secrets', 'initech')],
]

describe('webhook-ingest template.yaml: IAM allows what the handler sends, and no more', () => {
	const seen: SignedCall[] = []

	it.each(flows)('%s: every call is allowed to the function role', async (_, expected, run) => {
		clearRecordedCalls(stack)
		expect(await run()).toBe(expected)
		const calls = recordedCalls(stack, template, resolver)
		expect(calls.length).toBeGreaterThan(0)
		for (const sent of calls) {
			expect(sent.session, sent.label).toBeUndefined()
			expect(allows(statements, sent), sent.label).toBe(true)
		}
		seen.push(...calls)
	})

	it('the flows name the template’s secrets and tables: every statement is needed', () => {
		const labels = seen.map((sent) => sent.label)
		for (const expected of [
			'secretsmanager:GetSecretValue tenants/acme',
			'secretsmanager:GetSecretValue tenants/acme (AWSPREVIOUS)',
			'secretsmanager:GetSecretValue tenants/umbrella',
			`secretsmanager:GetSecretValue ${pseudonymKeySecretId}`,
		])
			expect(labels).toContain(expected)
		const used = new Set(seen.flatMap((sent) => allowingStatements(statements, sent)))
		expect([...used].sort()).toEqual(statements.map((_, index) => index))
		// Each resource a statement lists is one some call needs.
		for (const statement of statements)
			for (const resource of [statement.Resource].flat() as string[])
				expect(
					seen.some((sent) => allows([{ ...statement, Resource: resource }], sent)),
					resource,
				).toBe(true)
	})

	it('allows nothing else: other tables, keys, secrets and actions', () => {
		const refused = [
			dynamoDbCall(resolver, 'PutItem', eventsTable, 'TENANT#acme#ITEM#1'),
			dynamoDbCall(resolver, 'PutItem', eventsTable, 'EVENT#acme'),
			dynamoDbCall(resolver, 'UpdateItem', eventsTable, 'TENANT#acme#EVENT#1'),
			dynamoDbCall(resolver, 'GetItem', eventsTable, 'TENANT#acme#EVENT#1'),
			dynamoDbCall(resolver, 'PutItem', replayTable, 'TENANT#acme#EVENT#1'),
			dynamoDbCall(resolver, 'DeleteItem', replayTable, 'TENANT#acme#REPLAY#1'),
			dynamoDbCall(resolver, 'UpdateItem', 'other', 'TENANT#acme#REPLAY#1'),
			dynamoDbCall(resolver, 'UpdateItem', replayTable, 'TENANT#acme#REPLAY#1'),
			dynamoDbCall(resolver, 'UpdateItem', replayTable, 'hmac-replay#1'),
			secretCall(resolver, 'GetSecretValue', 'other/acme'),
			secretCall(resolver, 'GetSecretValue', 'tenantsX/acme'),
			secretCall(resolver, 'GetSecretValue', `${pseudonymKeySecretId}-old`),
			secretCall(resolver, 'PutSecretValue', 'tenants/acme'),
		]
		for (const call of refused)
			expect(allows(statements, call), `${call.action} ${call.resource}`).toBe(false)
	})
})

describe('webhook-ingest template.yaml: the grants stay within their prefix and actions', () => {
	it('takes as SecretPrefix only a plain name prefix: a wildcard would widen `<prefix>/*` to other secrets', () => {
		const pattern = new RegExp(template.Parameters?.SecretPrefix?.AllowedPattern ?? '')
		for (const accepted of ['tenants', 'prod/tenants', 'a.b@c-d_e+f=g'])
			expect(pattern.test(accepted), accepted).toBe(true)
		for (const refused of ['', '*', 't*', 'tenants?', 'tenants/*', '/tenants', 'tenants/', 'a//b'])
			expect(pattern.test(refused), refused).toBe(false)
		// The default's grant covers each tenant's secret and nothing beside the prefix.
		for (const [secretId, allowed] of [
			['tenants/acme', true],
			['tenants', false],
			['tenants-old/acme', false],
		] as const)
			expect(allows(statements, secretCall(resolver, 'GetSecretValue', secretId)), secretId).toBe(
				allowed,
			)
	})

	it('reads no event and no replay record back, and lists, scans or queries neither table', () => {
		for (const operation of [
			'GetItem',
			'BatchGetItem',
			'Query',
			'Scan',
			'DeleteItem',
			'BatchWriteItem',
			'PartiQLSelect',
			'ExecuteStatement',
			'DescribeTable',
		])
			for (const [table, key] of [
				[eventsTable, 'TENANT#acme#EVENT#evt-1'],
				[replayTable, 'TENANT#acme#hmac-replay#abc'],
			] as const) {
				const withKey = dynamoDbCall(resolver, operation, table, key)
				const { 'dynamodb:LeadingKeys': _, ...keyless } = withKey.context
				for (const call of [withKey, { ...withKey, context: keyless }])
					expect(allows(statements, call), `${operation} ${table}`).toBe(false)
			}
		// Nor any other Secrets Manager action on the secrets it reads.
		for (const operation of [
			'DescribeSecret',
			'ListSecretVersionIds',
			'PutSecretValue',
			'ListSecrets',
		])
			expect(allows(statements, secretCall(resolver, operation, 'tenants/acme')), operation).toBe(
				false,
			)
	})
})
