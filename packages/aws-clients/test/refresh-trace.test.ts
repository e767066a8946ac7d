import { describe, expect, it } from 'vitest'
import type { ClientTracer } from '../src/options.js'
import { startOutsideInvocationTrace } from '../src/refresh-trace.js'

/**
 * A tracer whose current segment is one record, as Powertools keeps it per invocation on Lambda
 * Managed Instances; its namespace tells what was current while a refresh started.
 */
const fakeTracer = (enabled = true) => {
	const root = { name: 'facade' }
	const handler = { name: '## index.handler', segment: root }
	const seen: object[] = []
	let current: object = handler
	const tracer = {
		captureAWSv3Client: <T>(client: T) => client,
		isTracingEnabled: () => enabled,
		getSegment: () => current,
		setSegment: (segment: object) => {
			current = segment
		},
		putAnnotation: () => undefined,
		provider: {
			getNamespace: () => ({
				runAndReturn: <T>(fn: () => T): T => {
					const result = fn()
					seen.push(current)
					return result
				},
			}),
		},
	} as unknown as ClientTracer
	return { tracer, root, handler, seen, current: () => current }
}

describe('startOutsideInvocationTrace', () => {
	it('starts the refresh with the root segment current, and puts the handler segment back', () => {
		const { tracer, root, handler, seen, current } = fakeTracer()
		expect(startOutsideInvocationTrace(tracer)(() => 'started')).toBe('started')
		expect(seen).toEqual([root])
		expect(current()).toBe(handler)
	})

	it('starts it as it is when tracing is off', () => {
		const { tracer, seen } = fakeTracer(false)
		expect(startOutsideInvocationTrace(tracer)(() => 'started')).toBe('started')
		expect(seen).toEqual([])
	})

	it('starts it once, as it is, when the tracer throws', () => {
		const { tracer } = fakeTracer()
		const throwing = {
			...tracer,
			getSegment: () => {
				throw new Error('No context available')
			},
		} as ClientTracer
		let starts = 0
		expect(startOutsideInvocationTrace(throwing)(() => ++starts)).toBe(1)
	})

	it('starts it under the current segment when that is the root (no handler segment)', () => {
		const { tracer, root, seen, current } = fakeTracer()
		tracer.setSegment(root as never)
		expect(startOutsideInvocationTrace(tracer)(() => 'started')).toBe('started')
		expect(seen).toEqual([root])
		expect(current()).toBe(root)
	})

	it('puts the handler segment back when the refresh throws as it starts, and lets it through', () => {
		const { tracer, handler, current } = fakeTracer()
		expect(() =>
			startOutsideInvocationTrace(tracer)(() => {
				throw new Error('no STS client')
			}),
		).toThrow('no STS client')
		expect(current()).toBe(handler)
	})

	it('starts it once when setSegment throws (the invocation store outside an invocation)', () => {
		const { tracer } = fakeTracer()
		const throwing = {
			...tracer,
			setSegment: () => {
				throw new Error('No context available')
			},
		} as ClientTracer
		let starts = 0
		expect(startOutsideInvocationTrace(throwing)(() => ++starts)).toBe(1)
	})
})
