import { setTimeout } from 'node:timers/promises'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { awsClientsPlugin } from '../src/index.js'
import {
	gate,
	nestedHandler,
	pipeline,
	readSecret,
	routeLeftRunning,
	type Stack,
	seedSecrets,
	startStack,
	tenantDynamoDbOptions,
} from './harness.js'

/**
 * Middy handlers called inside a request of the same invocation (a router's routes, another
 * tenant's handler called with `{ ...context }`), one record per process (no awsClients here
 * asks for concurrentInvocations). Against dynalite and the STS endpoint.
 */
let stack: Stack

beforeAll(async () => {
	stack = await startStack()
	await seedSecrets(stack, ['acme', 'globex'])
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

it('end with the request that called them and left them running: a client kept in one is refused afterwards', async () => {
	expect(await routeLeftRunning(stack)).toEqual({ statusCode: 200, afterwards: 403 })
})

it("give the caller's tenant back whichever of two called at once ends first", async () => {
	let acmeClient: DynamoDBClient | undefined
	let globexClient: DynamoDBClient | undefined
	const globexDone = gate()
	const globex = nestedHandler(stack, {
		tenant: 'globex',
		work: async (client) => {
			globexClient = client
			await setTimeout(5)
			globexDone.open()
			return 'globex'
		},
	})
	const acmeRoute = nestedHandler(stack, {
		work: async () => {
			await globexDone.opened
			await setTimeout(5)
			return 'acme'
		},
	})
	const run = pipeline(
		tenantDynamoDbOptions(stack),
		async (context, event) => {
			acmeClient = context.clients.dynamodb
			await Promise.all([globex(event, { ...context }), acmeRoute(event, context)])
			return {
				own: await readSecret(acmeClient),
				globexItemInAcmeRequest: await readSecret(globexClient, 'globex'),
			}
		},
		{ plugin: awsClientsPlugin() },
	)
	const acme = await run.invoke('acme')
	expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
		200,
		{ own: 'TENANT#acme#secret', globexItemInAcmeRequest: 403 },
	])
})

it("give the caller's tenant back when only they have awsClientsPlugin()", async () => {
	let globexClient: DynamoDBClient | undefined
	const globex = nestedHandler(stack, {
		tenant: 'globex',
		work: async (client) => {
			globexClient = client
			return 'globex'
		},
	})
	const run = pipeline(tenantDynamoDbOptions(stack), async (context, event) => {
		await globex(event, { ...context })
		return {
			own: await readSecret(context.clients.dynamodb),
			globexItemInAcmeRequest: await readSecret(globexClient, 'globex'),
		}
	})
	const acme = await run.invoke('acme')
	expect([acme.statusCode, JSON.parse(acme.body)]).toEqual([
		200,
		{ own: 'TENANT#acme#secret', globexItemInAcmeRequest: 403 },
	])
})
