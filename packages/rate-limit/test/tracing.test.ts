import { startXrayCapture, type XrayCapture } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

let capture: XrayCapture

beforeAll(async () => {
	capture = await startXrayCapture()
	// Read by the X-Ray SDK when the tracer is imported, as in a Lambda sandbox.
	Object.assign(process.env, {
		AWS_XRAY_DAEMON_ADDRESS: capture.address,
		LAMBDA_TASK_ROOT: '/var/task',
		_HANDLER: 'index.handler',
		AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
		_X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
		POWERTOOLS_SERVICE_NAME: 'rate-limit-test',
		POWERTOOLS_TRACE_ENABLED: 'true',
		AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
	})
})
afterAll(() => capture.stop())

describe('tracing', () => {
	it('annotates rate_limited=true on the handler segment of a 429, and not on allowed requests', async () => {
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const tracer = new Tracer()
		const { invoke } = pipeline([
			captureLambdaHandler(tracer),
			tenantRateLimit({
				limits: { requests: 1, windowSec: 3600 },
				store: memoryRateLimitStore(),
				tracer,
			}),
		])
		expect((await invoke('acme')).statusCode).toBe(200)
		expect((await invoke('acme')).statusCode).toBe(429)
		const segments = await capture.waitFor(
			(all) => all.filter((s) => s.name === '## index.handler').length >= 2,
		)
		const handlerSegments = segments.filter((s) => s.name === '## index.handler')
		expect(handlerSegments.map((s) => s.annotations?.rate_limited)).toEqual([undefined, true])
	})
})
