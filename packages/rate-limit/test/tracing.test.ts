import { startXrayCapture, type XrayCapture } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'
import { pipeline } from './setup.js'

let capture: XrayCapture

beforeAll(async () => {
	capture = await startXrayCapture()
	// Read by the X-Ray SDK when the tracer is imported, as in a Lambda sandbox.
	Object.assign(process.env, capture.lambdaEnv('rate-limit-test'))
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
				// Fixed: on the system clock, an hour could end between the two requests.
				now: () => Date.UTC(2026, 10, 23, 10, 0, 0),
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
