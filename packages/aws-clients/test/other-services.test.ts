import { inspect } from 'node:util'
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { EncryptCommand, KMSClient, KMSInvalidStateException } from '@aws-sdk/client-kms'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns'
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import {
	type Fault,
	type LocalSecretsManager,
	localCredentials,
	startSecretsManager,
} from '@tenantry/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { awsClientsPlugin } from '../src/index.js'
import {
	type HandlerContext,
	pipeline,
	roleArn,
	type Stack,
	startStack,
	tenantOfRequest,
} from './harness.js'
import { type LocalServices, type ServiceFault, startLocalServices } from './local-services.js'

/**
 * `clients` takes any SDK v3 client: besides DynamoDB, S3 and SQS, the ones a multi-tenant API
 * reaches for are SNS (awsQuery: form-encoded requests, XML answers), EventBridge, KMS, SSM and
 * Secrets Manager (JSON 1.1). Against loopback endpoints speaking those protocols, the real
 * clients must sign with the tenant's session, and their services' outages must be 503s while
 * their requests' own errors stay the SDK's.
 */

let stack: Stack
let services: LocalServices
let secrets: LocalSecretsManager

beforeAll(async () => {
	;[stack, services, secrets] = await Promise.all([
		startStack(),
		startLocalServices({
			Publish: () => '<MessageId>m-1</MessageId>',
			PutEvents: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }),
			Encrypt: (input) => ({
				CiphertextBlob: Buffer.from(`sealed:${String(input.Plaintext)}`).toString('base64'),
				KeyId: 'arn:aws:kms:us-east-1:000000000000:key/k-1',
			}),
			GetParameter: (input) => ({
				Parameter: { Name: input.Name, Type: 'String', Value: 'v', Version: 1 },
			}),
		}),
		startSecretsManager(),
	])
	secrets.putSecret('tenants/acme/api-key', 'acme-key')
	secrets.putSecret('tenants/globex/api-key', 'globex-key')
})
afterAll(() => Promise.all([stack.stop(), services.stop(), secrets.stop()]))
beforeEach(() => {
	stack.reset()
	services.reset()
	secrets.clearRequests()
	secrets.faults.clear()
})

const clients = {
	sns: SNSClient,
	events: EventBridgeClient,
	kms: KMSClient,
	ssm: SSMClient,
	secrets: SecretsManagerClient,
}
type Clients = typeof clients
type Context = HandlerContext<Clients>

const options = (extra: { httpHandler?: { requestTimeout: number } } = {}) => ({
	clients,
	perClient: {
		sns: { endpoint: services.endpoint, maxAttempts: 1 },
		events: { endpoint: services.endpoint, maxAttempts: 1 },
		kms: { endpoint: services.endpoint, maxAttempts: 1 },
		ssm: { endpoint: services.endpoint, maxAttempts: 1 },
		secrets: { endpoint: secrets.endpoint, maxAttempts: 1 },
	},
	tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
	...extra,
})

/** One call per client, each naming the tenant in what it sends. */
const calls = {
	sns: (context: Context) =>
		context.clients.sns.send(
			new PublishCommand({
				TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
				Message: context.tenant.id,
			}),
		),
	events: (context: Context) =>
		context.clients.events.send(
			new PutEventsCommand({
				Entries: [{ Source: `tenant.${context.tenant.id}`, DetailType: 'order', Detail: '{}' }],
			}),
		),
	kms: (context: Context) =>
		context.clients.kms.send(
			new EncryptCommand({
				KeyId: 'alias/tenant-data',
				Plaintext: Buffer.from('x'),
				EncryptionContext: { tenant_id: context.tenant.id },
			}),
		),
	ssm: (context: Context) =>
		context.clients.ssm.send(
			new GetParameterCommand({ Name: `/tenants/${context.tenant.id}/setting` }),
		),
	secrets: (context: Context) =>
		context.clients.secrets.send(
			new GetSecretValueCommand({ SecretId: `tenants/${context.tenant.id}/api-key` }),
		),
} as const
type Service = keyof typeof calls
const operations: Record<Exclude<Service, 'secrets'>, string> = {
	sns: 'Publish',
	events: 'PutEvents',
	kms: 'Encrypt',
	ssm: 'GetParameter',
}

/** Which tenant each request to the local services named, and whose session signed it. */
const signedRequests = () => [
	...services.requests.map((request) => ({
		operation: request.operation,
		signingName: request.signingName,
		signer: tenantOfRequest(stack, request.accessKeyId),
		token: request.securityToken !== undefined,
		functionsOwn: request.accessKeyId === localCredentials.accessKeyId,
	})),
	...secrets.requests.map((request) => ({
		operation: request.operation,
		signingName: 'secretsmanager',
		signer: tenantOfRequest(stack, request.accessKeyId),
		token: true,
		functionsOwn: request.accessKeyId === localCredentials.accessKeyId,
	})),
]

const outcome = (error: unknown) => ({
	status: (error as { statusCode?: number }).statusCode,
	retryAfter: (error as { headers?: Record<string, string> }).headers?.['Retry-After'],
	name: (error as Error).name,
	sdkError: (error as { cause?: { cause?: Error } }).cause?.cause?.name,
	rawExchange: Object.hasOwn(error as object, '$response'),
	causeRawExchange: Object.hasOwn(
		(error as { cause?: { cause?: object } }).cause?.cause ?? {},
		'$response',
	),
})

describe('SNS, EventBridge, KMS, SSM and Secrets Manager clients of a tenant', () => {
	it("sign every call with the tenant's STS session, never the function's own credentials", async () => {
		const run = pipeline(options(), async (context) => {
			await Promise.all(Object.values(calls).map((call) => call(context)))
			return 'sent'
		})
		expect((await run.invoke('acme')).statusCode).toBe(200)
		expect((await run.invoke('globex')).statusCode).toBe(200)
		const signed = signedRequests()
		expect(signed).toHaveLength(10)
		expect(signed.map(({ functionsOwn, token }) => ({ functionsOwn, token }))).toEqual(
			Array(10).fill({ functionsOwn: false, token: true }),
		)
		const tenantNamed = [
			...services.requests.map(
				({ input }) =>
					String(
						input.Message ??
							(input.Entries as { Source?: string }[] | undefined)?.[0]?.Source ??
							(input.EncryptionContext as { tenant_id?: string } | undefined)?.tenant_id ??
							input.Name,
					).match(/acme|globex/)?.[0],
			),
			...secrets.requests.map(({ input }) => String(input.SecretId).split('/')[1]),
		]
		expect(signed.map(({ signer }) => signer)).toEqual(tenantNamed)
		expect(new Set(signed.map(({ signingName }) => signingName))).toEqual(
			new Set(['sns', 'events', 'kms', 'ssm', 'secretsmanager']),
		)
	})

	it('send nothing, with no credentials of their own, while STS fails: a 503', async () => {
		stack.sts.faults.inject({ type: 'server-error' })
		const run = pipeline(options(), async (context) =>
			Promise.all(Object.values(calls).map((call) => call(context).catch(outcome))),
		)
		const outcomes = JSON.parse((await run.invoke('acme')).body) as ReturnType<typeof outcome>[]
		expect(outcomes.map(({ status, retryAfter }) => ({ status, retryAfter }))).toEqual(
			Array(5).fill({ status: 503, retryAfter: '5' }),
		)
		expect(signedRequests()).toEqual([])
	})

	it("refuse a client kept past its request in another tenant's request, naming the service", async () => {
		let kept: Context['clients'] | undefined
		const run = pipeline(
			options(),
			async (context) => {
				const { sns, events, kms, ssm, secrets } = context.clients
				kept ??= { sns, events, kms, ssm, secrets }
				const keptContext = { ...context, clients: kept, tenant: context.tenant } as Context
				return Promise.all(
					Object.values(calls).map((call) =>
						call(keptContext).then(
							() => 'sent',
							(error: { statusCode?: number }) => error.statusCode,
						),
					),
				)
			},
			{ plugin: awsClientsPlugin() },
		)
		expect(JSON.parse((await run.invoke('acme')).body)).toEqual(Array(5).fill('sent'))
		const before = signedRequests().length
		expect(JSON.parse((await run.invoke('globex')).body)).toEqual(Array(5).fill(403))
		expect(signedRequests()).toHaveLength(before)
		expect(run.violations.map(({ source, claimedTenant }) => ({ source, claimedTenant }))).toEqual([
			{ source: 'sns:Publish', claimedTenant: 'acme' },
			{ source: 'eventbridge:PutEvents', claimedTenant: 'acme' },
			{ source: 'kms:Encrypt', claimedTenant: 'acme' },
			{ source: 'ssm:GetParameter', claimedTenant: 'acme' },
			{ source: 'secretsmanager:GetSecretValue', claimedTenant: 'acme' },
		])
	})
})

/** Runs the one call of `service` for acme after `fault` was planned for it: what it rejected with. */
const failedCall = async (
	service: Service,
	fault: ServiceFault | Fault,
	extra?: Parameters<typeof options>[0],
) => {
	if (service === 'secrets') secrets.faults.inject(fault as Fault)
	else services.fail(fault as ServiceFault, operations[service])
	const run = pipeline(options(extra), async (context) =>
		calls[service](context).then(() => 'sent', outcome),
	)
	const response = await run.invoke('acme')
	return { outcome: JSON.parse(response.body) as unknown, logged: run.errors }
}

describe('outages of these services', () => {
	it.each<[string, Service, ServiceFault | Fault, string]>([
		[
			'SNS throttling (Throttled, 429)',
			'sns',
			{ status: 429, code: 'Throttled' },
			'ThrottledException',
		],
		[
			'awsQuery throttling (Throttling, 400)',
			'sns',
			{ status: 400, code: 'Throttling' },
			'Throttling',
		],
		['an SNS 500', 'sns', { status: 500, code: 'InternalError' }, 'InternalErrorException'],
		[
			"KMS throttling SNS's use of a topic key (KMSThrottling, 400)",
			'sns',
			{ status: 400, code: 'KMSThrottling' },
			'KMSThrottlingException',
		],
		[
			'EventBridge throttling',
			'events',
			{ status: 400, code: 'ThrottlingException' },
			'ThrottlingException',
		],
		[
			'an EventBridge 500',
			'events',
			{ status: 500, code: 'InternalException' },
			'InternalException',
		],
		['KMS throttling', 'kms', { status: 400, code: 'ThrottlingException' }, 'ThrottlingException'],
		['a KMS 500', 'kms', { status: 500, code: 'KMSInternalException' }, 'KMSInternalException'],
		[
			'a KMS key unavailable for now',
			'kms',
			{ status: 500, code: 'KeyUnavailableException' },
			'KeyUnavailableException',
		],
		[
			"a KMS dependency's timeout",
			'kms',
			{ status: 503, code: 'DependencyTimeoutException' },
			'DependencyTimeoutException',
		],
		['SSM throttling', 'ssm', { status: 400, code: 'ThrottlingException' }, 'ThrottlingException'],
		['an SSM 500', 'ssm', { status: 500, code: 'InternalServerError' }, 'InternalServerError'],
		['Secrets Manager throttling', 'secrets', { type: 'throttle' }, 'ThrottlingException'],
		['a Secrets Manager 500', 'secrets', { type: 'server-error' }, 'InternalServiceError'],
		['an SNS connection dropped', 'sns', { drop: true }, 'TimeoutError'],
		['a KMS connection dropped', 'kms', { drop: true }, 'TimeoutError'],
	])('answer %s with a 503 and Retry-After', async (_, service, fault, sdkError) => {
		expect((await failedCall(service, fault)).outcome).toEqual({
			status: 503,
			retryAfter: '5',
			name: 'ServiceUnavailableError',
			sdkError,
			rawExchange: false,
			causeRawExchange: false,
		})
	})

	it.each<Service>(['sns', 'events', 'kms', 'ssm'])(
		'answer a %s call that outlasts the request timeout with a 503',
		async (service) => {
			const { outcome } = await failedCall(
				service,
				{ delayMs: 1_000 },
				{
					httpHandler: { requestTimeout: 100 },
				},
			)
			expect(outcome).toMatchObject({ status: 503, sdkError: 'TimeoutError' })
		},
	)
})

describe("these services' answers to a request's own fault", () => {
	it.each<[string, Service, ServiceFault | Fault, string]>([
		[
			'SNS: not authorised',
			'sns',
			{ status: 403, code: 'AuthorizationError' },
			'AuthorizationErrorException',
		],
		['SNS: no such topic', 'sns', { status: 404, code: 'NotFound' }, 'NotFoundException'],
		[
			'SNS: a bad parameter',
			'sns',
			{ status: 400, code: 'InvalidParameter' },
			'InvalidParameterException',
		],
		[
			'SNS: the topic key is disabled',
			'sns',
			{ status: 400, code: 'KMSDisabled' },
			'KMSDisabledException',
		],
		[
			'KMS: access denied',
			'kms',
			{ status: 400, code: 'AccessDeniedException' },
			'AccessDeniedException',
		],
		[
			'KMS: a key pending deletion',
			'kms',
			{ status: 409, code: 'KMSInvalidStateException' },
			'KMSInvalidStateException',
		],
		['KMS: no such key', 'kms', { status: 400, code: 'NotFoundException' }, 'NotFoundException'],
		['KMS: a disabled key', 'kms', { status: 409, code: 'DisabledException' }, 'DisabledException'],
		['KMS: validation', 'kms', { status: 400, code: 'ValidationException' }, 'ValidationException'],
		[
			'EventBridge: access denied',
			'events',
			{ status: 400, code: 'AccessDeniedException' },
			'AccessDeniedException',
		],
		[
			'EventBridge: no such bus',
			'events',
			{ status: 400, code: 'ResourceNotFoundException' },
			'ResourceNotFoundException',
		],
		[
			'SSM: no such parameter',
			'ssm',
			{ status: 400, code: 'ParameterNotFound' },
			'ParameterNotFound',
		],
		[
			'SSM: access denied',
			'ssm',
			{ status: 400, code: 'AccessDeniedException' },
			'AccessDeniedException',
		],
		[
			'Secrets Manager: access denied',
			'secrets',
			{ type: 'access-denied' },
			'AccessDeniedException',
		],
		[
			'Secrets Manager: no such secret',
			'secrets',
			{ type: 'not-found' },
			'ResourceNotFoundException',
		],
	])('leave %s the SDK error, without its raw HTTP exchange', async (_, service, fault, name) => {
		const { outcome } = await failedCall(service, fault)
		expect(outcome).toEqual({
			status: undefined,
			retryAfter: undefined,
			name,
			sdkError: undefined,
			rawExchange: false,
			causeRawExchange: false,
		})
	})

	it('keep the class of a modelled error (KMSInvalidStateException) and log no signed request', async () => {
		services.fail({ status: 409, code: 'KMSInvalidStateException' }, 'Encrypt')
		const run = pipeline(options(), async (context) => {
			try {
				await calls.kms(context)
				return 'sent'
			} catch (error) {
				if (error instanceof KMSInvalidStateException) return 'pending deletion'
				throw error
			}
		})
		expect(JSON.parse((await run.invoke('acme')).body)).toBe('pending deletion')

		services.fail({ status: 403, code: 'AuthorizationError' }, 'Publish')
		const failing = pipeline(options(), async (context) => calls.sns(context))
		expect((await failing.invoke('acme')).statusCode).toBe(500)
		const logged = inspect(failing.errors, { showHidden: true, depth: Number.POSITIVE_INFINITY })
		expect(logged).toContain('AuthorizationErrorException')
		for (const part of ['x-amz-security-token', 'AWS4-HMAC-SHA256 Credential='])
			expect(logged).not.toContain(part)
	})
})
