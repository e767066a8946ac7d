import type { APIGatewayProxyResult } from 'aws-lambda'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { awsClientsPlugin } from '../src/index.js'
import { usesAsyncContextFrame } from '../src/request-facts.js'
import {
	pipeline,
	readSecret,
	type Stack,
	seedSecrets,
	startStack,
	tenantDynamoDbOptions,
} from './harness.js'

/**
 * Invocations overlap (`concurrentInvocations` off) inside an async function the invoker awaits,
 * as a test helper or a custom runtime's batch might. A file of its own: what Node 22 answers
 * depends on nothing having tracked requests per async context before in the process.
 */
let stack: Stack

beforeAll(async () => {
	stack = await startStack()
	await seedSecrets(stack, ['acme', 'globex'])
})
afterAll(() => stack.stop())

const body = (response: APIGatewayProxyResult): unknown => JSON.parse(response.body)
const secrets = ['TENANT#acme#secret', 'TENANT#globex#secret']

it('serves the requests that follow invocations which overlapped inside a function the invoker awaited', async () => {
	const run = pipeline(
		tenantDynamoDbOptions(stack, { concurrentInvocations: false }),
		async (context) => readSecret(context.clients.dynamodb, context.tenant.id),
		{ plugin: awsClientsPlugin() },
	)
	// The invoker's await on this function begins before its invocations overlap.
	const overlapping = async () => {
		await run.invoke('acme')
		return Promise.all([run.invoke('acme'), run.invoke('globex')])
	}
	const overlapped = await overlapping()
	expect(overlapped.map(body)).toEqual([
		expect.toBeOneOf([secrets[0], 403]),
		expect.toBeOneOf([secrets[1], 403]),
	])

	// With async_hooks storage (Node 22) the continuation of that await runs on no async resource
	// of its own, as the requests in flight when tracking began do: requests started from it get
	// no record (fails closed) rather than one those requests would read as theirs.
	const resumed = await Promise.all([run.invoke('acme'), run.invoke('globex')])
	expect(resumed.map(body)).toEqual(usesAsyncContextFrame() ? secrets : [403, 403])

	// Only those: code after any later await has a resource of its own, as each invocation the
	// Lambda runtime dispatches has (from its own await, or a setImmediate). Served, not refused
	// for the rest of the process.
	const later = [await run.invoke('acme'), await run.invoke('globex')]
	const dispatched = await new Promise<APIGatewayProxyResult>((resolve) => {
		setImmediate(() => resolve(run.invoke('globex')))
	})
	expect([...later, dispatched].map(body)).toEqual([...secrets, secrets[1]])
})
