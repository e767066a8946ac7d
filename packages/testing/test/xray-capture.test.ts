import { createSocket } from 'node:dgram'
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

	it('keeps each document as sent, flattens subsegments, and skips a datagram that is not JSON', async () => {
		capture.clear()
		const [host, port] = capture.address.split(':')
		const socket = createSocket('udp4')
		const send = (text: string) =>
			new Promise((resolve) => socket.send(text, Number(port), host, resolve))
		const header = '{"format":"json","version":1}\n'
		await send(`${header}{"name":"broken"`)
		const document = {
			name: 'parent',
			subsegments: [{ name: 'child', subsegments: [{ name: 'leaf' }] }],
		}
		await send(`${header}${JSON.stringify(document)}`)
		const segments = await capture.waitFor((all) => all.length > 0)
		socket.close()
		expect(segments.map((segment) => segment.name)).toEqual(['parent', 'child', 'leaf'])
		expect(capture.documents()).toEqual([document])
	})
})
