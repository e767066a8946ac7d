import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lambdaContext, startXrayCapture, type XrayCapture } from '../src/index.js'

let capture: XrayCapture

beforeAll(async () => {
	capture = await startXrayCapture()
	// The X-Ray SDK reads these when the tracer is imported, as in a Lambda sandbox.
	Object.assign(process.env, capture.lambdaEnv('xray-capture-test'))
})
afterAll(() => capture.stop())

describe('X-Ray capture', () => {
	it('receives the segments the Powertools tracer sends, with annotations', async () => {
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const { default: middy } = await import('@middy/core')
		const tracer = new Tracer()
		const handler = middy(async () => {
			tracer.putAnnotation('tenant_id', 'acme')
			const parent = tracer.getSegment()
			const child = parent?.addNewSubsegment('child-work')
			child?.close()
			return { statusCode: 200 }
		}).use(captureLambdaHandler(tracer))

		await handler({}, lambdaContext())
		const segments = await capture.waitFor((all) => all.some((s) => s.name === '## index.handler'))
		const handlerSegment = segments.find((s) => s.name === '## index.handler')
		expect(handlerSegment?.annotations).toMatchObject({
			tenant_id: 'acme',
			Service: 'xray-capture-test',
		})
		expect(handlerSegment?.trace_id).toBe('1-5759e988-bd862e3fe1be46a994272793')
		expect(segments.some((s) => s.name === 'child-work')).toBe(true)
		capture.clear()
		expect(capture.segments()).toEqual([])
	})

	it('times out clearly when nothing matching arrives', async () => {
		await expect(capture.waitFor(() => false, 50)).rejects.toThrow(/not met within 50 ms/)
	})
})
