import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { DynamoDBDocumentClient, GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { httpApiEvent, type LocalSecretsManager, startSecretsManager } from '@tenantry/testing'
import { createTenantContext } from '@tenantry/util'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { awsClients, awsClientsPlugin, type GuardViolation } from '../src/index.js'
import { requestBindingName } from '../src/request-binding.js'
import {
	contextWithoutRequestId,
	handSetTenant,
	keptClientAt,
	pipeline,
	reentrantRequest,
	roleArn,
	routedRequest,
	type Stack,
	startStack,
	table,
	tenantDynamoDbOptions,
} from './harness.js'

/**
 * Clients are cached per container, so one kept past its request (`kept ??=
 * context.clients.dynamodb` at module scope, the lazy-singleton habit) would serve later
 * requests of other tenants with the first tenant's session; its keys pass that tenant's
 * guard. Against dynalite, the STS endpoint and the Secrets Manager endpoint.
 */
let stack: Stack
let secrets: LocalSecretsManager

beforeAll(async () => {
	;[stack, secrets] = await Promise.all([startStack(), startSecretsManager()])
	for (const pk of ['TENANT#acme#secret', 'TENANT#globex#secret']) {
		await stack.admin.send(
			new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: '1' } } }),
		)
	}
	secrets.putSecret('acme/api-key', 'acme-key')
})
afterAll(() => Promise.all([stack.stop(), secrets.stop()]))
beforeEach(() => {
	stack.reset()
	secrets.resetCalls()
})

const getSecretItem = (pk: string) =>
	new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: '1' } } })

describe('a tenant client kept past its request', () => {
	const keeping = () => {
		let kept: DynamoDBClient | undefined
		let wanted = 'TENANT#acme#secret'
		const run = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			kept ??= context.clients.dynamodb
			const { Item } = await kept.send(getSecretItem(wanted))
			return Item?.pk?.S ?? null
		})
		return {
			run,
			want: (pk: string) => {
				wanted = pk
			},
		}
	}

	it("refuses globex's request through acme's kept client before anything is sent", async () => {
		const { run, want } = keeping()
		expect((await run.invoke('acme')).statusCode).toBe(200)
		const sentBefore = stack.dynamodb.requests.length
		const stsCallsBefore = stack.sts.assumeRoleCalls.length
		const globex = await run.invoke('globex', { requestId: 'req-globex' })
		want('TENANT#acme#secret')
		expect({
			status: globex.statusCode,
			body: globex.body,
			sent: stack.dynamodb.requests.length - sentBefore,
			stsCalls: stack.sts.assumeRoleCalls.length - stsCallsBefore,
			violations: run.violations,
		}).toEqual({
			status: 403,
			body: expect.not.stringContaining('acme'),
			sent: 0,
			stsCalls: 0,
			violations: [
				{
					code: 'client_of_another_tenant',
					tenant: 'globex',
					claimedTenant: 'acme',
					source: 'dynamodb:GetItem',
					requestId: 'req-globex',
					path: '/items',
					method: 'POST',
				} satisfies GuardViolation,
			],
		})
	})

	it('is refused whatever key it names, and keeps serving its own tenant', async () => {
		const { run, want } = keeping()
		await run.invoke('acme')
		want('TENANT#globex#secret')
		const globex = await run.invoke('globex')
		want('TENANT#acme#secret')
		const acmeAgain = await run.invoke('acme')
		expect({
			globex: globex.statusCode,
			acme: [acmeAgain.statusCode, JSON.parse(acmeAgain.body)],
		}).toEqual({ globex: 403, acme: [200, 'TENANT#acme#secret'] })
	})

	it('is refused through a DynamoDBDocumentClient made from it', async () => {
		let kept: DynamoDBDocumentClient | undefined
		const run = pipeline(tenantDynamoDbOptions(stack), async (context) => {
			kept ??= DynamoDBDocumentClient.from(context.clients.dynamodb)
			const { Item } = await kept.send(
				new GetCommand({ TableName: table, Key: { pk: 'TENANT#acme#secret', sk: '1' } }),
			)
			return Item?.pk ?? null
		})
		const acme = await run.invoke('acme')
		const sentBefore = stack.dynamodb.requests.length
		const globex = await run.invoke('globex')
		expect({
			acme: acme.statusCode,
			globex: globex.statusCode,
			sent: stack.dynamodb.requests.length - sentBefore,
		}).toEqual({ acme: 200, globex: 403, sent: 0 })
	})

	it('is refused for clients the DynamoDB guard does not cover, e.g. Secrets Manager', async () => {
		let kept: SecretsManagerClient | undefined
		const run = pipeline(
			{
				clients: { secrets: SecretsManagerClient },
				perClient: { secrets: { endpoint: secrets.endpoint, maxAttempts: 1 } },
				tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
			},
			async (context) => {
				kept ??= context.clients.secrets
				const { SecretString } = await kept.send(
					new GetSecretValueCommand({ SecretId: 'acme/api-key' }),
				)
				return SecretString
			},
		)
		const acme = await run.invoke('acme')
		const globex = await run.invoke('globex')
		expect({
			acme: [acme.statusCode, JSON.parse(acme.body)],
			globex: globex.statusCode,
			calls: secrets.calls('acme/api-key'),
			violations: run.violations.map(({ code, source }) => ({ code, source })),
		}).toEqual({
			acme: [200, 'acme-key'],
			globex: 403,
			calls: 1,
			violations: [{ code: 'client_of_another_tenant', source: 'secretsmanager:GetSecretValue' }],
		})
	})

	it('is checked once per client, in the initialize step, however often it is bound', async () => {
		const run = pipeline(
			{
				clients: { dynamodb: DynamoDBClient },
				perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint, maxAttempts: 1 } },
			},
			async (context) =>
				context.clients.dynamodb.middlewareStack
					.identify()
					.filter((entry) => entry.startsWith(requestBindingName)),
		)
		await run.invoke('acme')
		expect(JSON.parse((await run.invoke('acme')).body)).toEqual([
			expect.stringMatching(/initialize/),
		])
	})
})

describe('a kept client in code that runs outside the handler', () => {
	const options = (concurrentInvocations: boolean) =>
		tenantDynamoDbOptions(stack, { concurrentInvocations })
	const outcomeOf = (send: Promise<{ Item?: Record<string, { S?: string }> }> | undefined) =>
		send?.then(
			(output) => output.Item?.pk?.S,
			(error: { statusCode?: number }) => error.statusCode,
		)

	it('is refused in the onError of an earlier middleware, for a request that failed before awsClients ran', async () => {
		const { run, outcomes } = keptClientAt(stack, 'onError of an earlier middleware')
		expect((await run.invoke('acme')).statusCode).toBe(200)
		const sentBefore = stack.dynamodb.requests.length
		// No tenant: tenant isolation answers 401 before awsClients' before runs.
		const refused = await run.invoke(undefined)
		expect({
			status: refused.statusCode,
			outcomes,
			sent: stack.dynamodb.requests.length - sentBefore,
			violations: run.violations.map(({ code, tenant, claimedTenant }) => ({
				code,
				tenant,
				claimedTenant,
			})),
		}).toEqual({
			status: 401,
			outcomes: [403],
			sent: 0,
			violations: [{ code: 'client_of_another_tenant', tenant: undefined, claimedTenant: 'acme' }],
		})
	})

	describe('with awsClientsPlugin(), which marks where requests start and end', () => {
		it.each([
			['before of an earlier middleware', 'globex'],
			['onError of a later middleware', undefined],
		] as const)('is refused in the %s', async (spot, tenant) => {
			const { run, outcomes } = keptClientAt(stack, spot, { plugin: awsClientsPlugin() })
			expect((await run.invoke('acme')).statusCode).toBe(200)
			const sentBefore = stack.dynamodb.requests.length
			await run.invoke(tenant)
			expect({ outcomes, sent: stack.dynamodb.requests.length - sentBefore }).toEqual({
				outcomes: [403],
				sent: 0,
			})
		})

		it('is refused between requests, and still serves its own tenant in the next', async () => {
			let kept: DynamoDBClient | undefined
			const run = pipeline(
				tenantDynamoDbOptions(stack),
				async (context) => {
					kept ??= context.clients.dynamodb
					return (await kept.send(getSecretItem('TENANT#acme#secret'))).Item?.pk?.S
				},
				{ plugin: awsClientsPlugin() },
			)
			expect((await run.invoke('acme')).statusCode).toBe(200)
			const between = await outcomeOf(kept?.send(getSecretItem('TENANT#acme#secret')))
			const next = await run.invoke('acme')
			expect({ between, next: [next.statusCode, JSON.parse(next.body)] }).toEqual({
				between: 403,
				next: [200, 'TENANT#acme#secret'],
			})
		})

		it("treats a middy handler called inside a request with its context (a router's route) as part of that request", async () => {
			const acme = await routedRequest(stack).invoke('acme')
			expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
				200,
				{ routed: 'TENANT#acme#secret', after: 'TENANT#acme#secret' },
			])
		})

		it("treats a route given the request's own context object as part of that request when the context has no awsRequestId", async () => {
			const acme = await routedRequest(stack).invoke('acme', {}, contextWithoutRequestId())
			expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
				200,
				{ routed: 'TENANT#acme#secret', after: 'TENANT#acme#secret' },
			])
		})

		it("gives handlers of other tenants called at once inside a request their own tenants, and the caller's back when they return", async () => {
			const acme = await reentrantRequest(stack, { inner: ['globex', 'initech'] }).invoke('acme')
			expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
				200,
				{ inside: [403, 403], own: 'TENANT#acme#secret', viaInner: [403, 403] },
			])
		})

		it("gives a handler of another tenant called inside a request its own tenant, and the caller's back when it returns", async () => {
			const acme = await reentrantRequest(stack).invoke('acme')
			expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
				200,
				{ inside: [403], own: 'TENANT#acme#secret', viaInner: [403] },
			])
		})
	})

	it('leaves the clients of a request whose handler called another middy handler to its onError handlers', async () => {
		const seen: unknown[] = []
		const route = middy(async () => 'routed').use(
			awsClients(tenantDynamoDbOptions(stack)),
		) as unknown as (event: unknown, context: unknown) => Promise<unknown>
		const run = pipeline(
			options(false),
			async (context, event) => {
				await route(event, context)
				throw new Error('the handler fails after the route returned')
			},
			{
				first: {
					onError: async (request) => {
						const { clients } = request.context as unknown as {
							clients?: { dynamodb: DynamoDBClient }
						}
						seen.push(await outcomeOf(clients?.dynamodb.send(getSecretItem('TENANT#acme#secret'))))
					},
				},
			},
		)
		await run.invoke('acme')
		expect(seen).toEqual(['TENANT#acme#secret'])
	})

	it("is refused in another middy handler's request (a router with one handler per route)", async () => {
		let kept: DynamoDBClient | undefined
		const routeA = pipeline(options(false), async (context) => {
			kept ??= context.clients.dynamodb
			return 'a'
		})
		const routeB = pipeline(options(false), async () =>
			outcomeOf(kept?.send(getSecretItem('TENANT#acme#secret'))),
		)
		await routeA.invoke('acme')
		const sentBefore = stack.dynamodb.requests.length
		const globex = await routeB.invoke('globex')
		expect({
			body: JSON.parse(globex.body),
			sent: stack.dynamodb.requests.length - sentBefore,
		}).toEqual({ body: 403, sent: 0 })
	})

	it("does not hand its tenant's credentials to another tenant's request (as createPresignedPost reads them)", async () => {
		let kept: DynamoDBClient | undefined
		const run = pipeline(options(false), async (context) => {
			if (kept === undefined) {
				kept = context.clients.dynamodb
				return (await kept.send(getSecretItem('TENANT#acme#secret'))).Item?.pk?.S
			}
			const { accessKeyId } = await kept.config.credentials()
			return accessKeyId
		})
		const acme = await run.invoke('acme')
		const globex = await run.invoke('globex')
		expect({
			acme: [acme.statusCode, JSON.parse(acme.body)],
			globex: [globex.statusCode, globex.body],
			violations: run.violations.map(({ code, source }) => ({ code, source })),
		}).toEqual({
			acme: [200, 'TENANT#acme#secret'],
			globex: [403, expect.not.stringMatching(/ASIA|acme/)],
			violations: [{ code: 'client_of_another_tenant', source: 'dynamodb:credentials' }],
		})
	})

	it("does not let a client built from its credentials provider serve another tenant's request", async () => {
		let derived: DynamoDBClient | undefined
		const run = pipeline(options(false), async (context) => {
			derived ??= new DynamoDBClient({
				endpoint: stack.dynamodb.endpoint,
				maxAttempts: 1,
				credentials: context.clients.dynamodb.config.credentials,
			})
			return outcomeOf(derived.send(getSecretItem('TENANT#acme#secret')))
		})
		const acme = await run.invoke('acme')
		const sentBefore = stack.dynamodb.requests.length
		const globex = await run.invoke('globex')
		expect({
			acme: JSON.parse(acme.body),
			globex: JSON.parse(globex.body),
			sent: stack.dynamodb.requests.length - sentBefore,
		}).toEqual({ acme: 'TENANT#acme#secret', globex: 403, sent: 0 })
	})

	it("refuses to replace a tenant client's credentials (a 500, not a silent no-op)", async () => {
		const run = pipeline(options(false), async (context) => {
			context.clients.dynamodb.config.credentials = async () => ({
				accessKeyId: 'AKIDEXAMPLE',
				secretAccessKey: 'secret',
			})
			return 'replaced'
		})
		const response = await run.invoke('acme')
		expect({ status: response.statusCode, body: response.body }).toEqual({
			status: 500,
			body: undefined,
		})
	})

	it("is refused when a paginator made in its request is read in another tenant's", async () => {
		let pages: AsyncIterable<unknown> | undefined
		const run = pipeline(options(false), async (context) => {
			if (pages === undefined) {
				pages = paginateQuery(
					{ client: DynamoDBDocumentClient.from(context.clients.dynamodb), pageSize: 1 },
					{
						TableName: table,
						KeyConditionExpression: 'pk = :p',
						ExpressionAttributeValues: { ':p': 'TENANT#acme#secret' },
					},
				)
				return 'made'
			}
			for await (const page of pages) return page
			return 'empty'
		})
		await run.invoke('acme')
		const sentBefore = stack.dynamodb.requests.length
		const globex = await run.invoke('globex')
		expect({
			status: globex.statusCode,
			sent: stack.dynamodb.requests.length - sentBefore,
		}).toEqual({ status: 403, sent: 0 })
	})
})

describe('a context object reused between invocations', () => {
	it("gives onError handlers no clients of the previous request, and the previous tenant's clients refuse to serve it", async () => {
		let kept: DynamoDBClient | undefined
		const seenInOnError: unknown[] = []
		const context = { awsRequestId: 'reused', getRemainingTimeInMillis: () => 10_000 }
		let tenant: unknown = createTenantContext('acme')
		const handler = middy(
			async (_event: unknown, ctx: { clients: { dynamodb: DynamoDBClient } }) => {
				kept ??= ctx.clients.dynamodb
				return { statusCode: 200, body: '' }
			},
		)
			.use(httpErrorHandler({ logger: false }))
			.use({
				// An outer middleware, e.g. an audit log, still at work when the request failed.
				onError: async (request) => {
					const ctx = request.context as unknown as { clients?: unknown }
					seenInOnError.push(ctx.clients)
					const outcome = await kept?.send(getSecretItem('TENANT#acme#secret')).then(
						() => 'sent',
						(error: { statusCode?: number }) => error.statusCode,
					)
					seenInOnError.push(outcome)
				},
			})
			.use(handSetTenant(() => tenant))
			.use(
				awsClients(tenantDynamoDbOptions(stack, { onViolation: () => undefined })),
			) as unknown as (event: unknown, context: Context) => Promise<APIGatewayProxyResult>
		const reused = context as unknown as Context
		expect((await handler(httpApiEvent(), reused)).statusCode).toBe(200)
		// A custom tenant middleware hands over something that is not a tenant context.
		tenant = { id: 'globex' }
		const sentBefore = stack.dynamodb.requests.length
		const failed = await handler(httpApiEvent(), reused)
		expect({
			status: failed.statusCode,
			seenInOnError,
			sent: stack.dynamodb.requests.length - sentBefore,
		}).toEqual({ status: 500, seenInOnError: [undefined, 403], sent: 0 })
	})
})
