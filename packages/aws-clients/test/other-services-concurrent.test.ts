import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms'
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns'
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { awsClientsPlugin } from '../src/index.js'
import { gate, pipeline, roleArn, type Stack, startStack, tenantOfRequest } from './harness.js'
import { type LocalServices, startLocalServices } from './local-services.js'

/**
 * Lambda Managed Instances run invocations of different tenants at once in one thread
 * (`concurrentInvocations`, which holds for the whole process once asked for: this file has it
 * on throughout). Every call of each request, to SNS, EventBridge, KMS and SSM, must be signed
 * with its own tenant's session while the other tenant's request is in flight, including calls
 * that start before the other request and finish after it started.
 */

let stack: Stack
let services: LocalServices

beforeAll(async () => {
	;[stack, services] = await Promise.all([
		startStack(),
		startLocalServices({
			Publish: () => '<MessageId>m-1</MessageId>',
			PutEvents: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }),
			Encrypt: () => ({
				CiphertextBlob: Buffer.from('sealed').toString('base64'),
				KeyId: 'arn:aws:kms:us-east-1:000000000000:key/k-1',
			}),
			GetParameter: (input) => ({
				Parameter: { Name: input.Name, Type: 'String', Value: 'v', Version: 1 },
			}),
		}),
	])
})
afterAll(() => Promise.all([stack.stop(), services.stop()]))
beforeEach(() => {
	stack.reset()
	services.reset()
})

const clients = { sns: SNSClient, events: EventBridgeClient, kms: KMSClient, ssm: SSMClient }

/** The tenant a request to the local services named in its input. */
const tenantNamed = (input: Record<string, unknown>): string | undefined =>
	String(
		input.Message ??
			(input.Entries as { Source?: string }[] | undefined)?.[0]?.Source ??
			(input.EncryptionContext as { tenant_id?: string } | undefined)?.tenant_id ??
			input.Name,
	).match(/acme|globex/)?.[0]

describe('SNS, EventBridge, KMS and SSM clients of overlapping requests of two tenants', () => {
	it("sign each request's calls with that request's tenant session", async () => {
		// acme sends its first round, waits for globex's request to start and send, then its second.
		const globexSent = gate()
		const acmeStarted = gate()
		const run = pipeline(
			{
				clients,
				perClient: {
					sns: { endpoint: services.endpoint, maxAttempts: 1 },
					events: { endpoint: services.endpoint, maxAttempts: 1 },
					kms: { endpoint: services.endpoint, maxAttempts: 1 },
					ssm: { endpoint: services.endpoint, maxAttempts: 1 },
				},
				tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
				concurrentInvocations: true,
			},
			async (context) => {
				const tenant = context.tenant.id
				const round = () =>
					Promise.all([
						context.clients.sns.send(
							new PublishCommand({
								TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
								Message: tenant,
							}),
						),
						context.clients.events.send(
							new PutEventsCommand({
								Entries: [{ Source: `tenant.${tenant}`, DetailType: 'order', Detail: '{}' }],
							}),
						),
						context.clients.kms.send(
							new EncryptCommand({
								KeyId: 'alias/tenant-data',
								Plaintext: Buffer.from('x'),
								EncryptionContext: { tenant_id: tenant },
							}),
						),
						context.clients.ssm.send(new GetParameterCommand({ Name: `/tenants/${tenant}/x` })),
					])
				if (tenant === 'acme') {
					// Started before globex's request, answered after it began.
					const first = round()
					acmeStarted.open()
					await globexSent.opened
					await first
					await round()
				} else {
					await acmeStarted.opened
					await round()
					globexSent.open()
				}
				return 'sent'
			},
			{ plugin: awsClientsPlugin() },
		)
		const responses = await Promise.all([
			run.invoke('acme', { requestId: 'req-acme' }),
			run.invoke('globex', { requestId: 'req-globex' }),
		])
		expect(responses.map(({ statusCode }) => statusCode)).toEqual([200, 200])
		expect(services.requests.map(({ input }) => tenantNamed(input)).sort()).toEqual([
			...Array(8).fill('acme'),
			...Array(4).fill('globex'),
		])
		expect(
			services.requests.map(({ input, accessKeyId, securityToken }) => ({
				named: tenantNamed(input),
				signer: tenantOfRequest(stack, accessKeyId),
				token: securityToken !== undefined,
			})),
		).toEqual(
			services.requests.map(({ input }) => ({
				named: tenantNamed(input),
				signer: tenantNamed(input),
				token: true,
			})),
		)
		expect(run.violations).toEqual([])
	})
})
