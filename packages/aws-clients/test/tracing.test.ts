import { startXrayCapture, type XrayCapture } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clearClientCache } from '../src/index.js'
import { type Stack, startStack } from './harness.js'
import { tracedItemRead } from './traced-item-read.js'

let capture: XrayCapture
let stack: Stack

beforeAll(async () => {
	;[capture, stack] = await Promise.all([startXrayCapture(), startStack()])
	// The X-Ray SDK reads these when the tracer is imported, as in a Lambda sandbox.
	Object.assign(process.env, capture.lambdaEnv('aws-clients-test'))
})
afterAll(async () => {
	await Promise.all([capture.stop(), stack.stop()])
})

describe('X-Ray', () => {
	it('shows the handler, the DynamoDB call and the tenant_id annotation', async () => {
		clearClientCache()
		const { invoke } = await tracedItemRead(stack)
		await expect(invoke('acme')).resolves.toMatchObject({ statusCode: 200 })
		const segments = await capture.waitFor((all) =>
			all.some((s) => s.name === '## index.handler' && s.end_time !== undefined),
		)
		const handler = segments.find((s) => s.name === '## index.handler')
		expect(handler?.annotations).toMatchObject({ tenant_id: 'acme' })
		const call = segments.find((s) => s.name === 'DynamoDB')
		expect(call).toMatchObject({ namespace: 'aws', aws: { operation: 'GetItem' } })
		expect(call?.parent_id).toBe(handler?.id)
		expect(call?.trace_id).toBe('1-5759e988-bd862e3fe1be46a994272793')
	})
})
