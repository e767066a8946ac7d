import { describe, expect, it } from 'vitest'
import {
	annotate,
	isTracerLike,
	type SubsegmentLike,
	type TracerLike,
	traced,
} from '../src/index.js'

/**
 * `traced` and `annotate` against a tracer that records what it is asked, with failures on
 * demand: the X-Ray capture tests of the packages show real segments, these pin the contract
 * (the work's own answer whatever the tracer does, the parent restored, errors recorded) one
 * rule at a time.
 */
type Call = string

const recordingTracer = (
	options: {
		enabled?: boolean
		parent?: boolean
		failSetSegment?: boolean
		failClose?: boolean
		failAnnotation?: boolean
	} = {},
) => {
	const calls: Call[] = []
	let current = 'parent'
	const subsegment = (name: string): SubsegmentLike => ({
		addAnnotation: () => undefined,
		addError: (error) => calls.push(`addError ${name}: ${error.message}`),
		close: () => {
			calls.push(`close ${name}`)
			if (options.failClose) throw new Error('close failed')
		},
	})
	const parent = {
		name: 'parent',
		addNewSubsegment: (name: string) => {
			calls.push(`open ${name}`)
			return Object.assign(subsegment(name), { name })
		},
	}
	const tracer: TracerLike = {
		isTracingEnabled: () => options.enabled ?? true,
		getSegment: () => {
			calls.push('getSegment')
			return options.parent === false ? undefined : parent
		},
		setSegment: (segment: never) => {
			const name = (segment as { name: string }).name
			calls.push(`setSegment ${name}`)
			if (options.failSetSegment) throw new Error('setSegment failed')
			current = name
		},
		putAnnotation: (key, value) => {
			if (options.failAnnotation) throw new Error('annotation failed')
			calls.push(`annotate ${key}=${String(value)}`)
		},
	}
	return { tracer, calls, current: () => current }
}

describe('traced', () => {
	it('runs the work in a subsegment made current, then closes it and restores the parent', async () => {
		const { tracer, calls, current } = recordingTracer()
		let currentDuringWork = ''
		const answer = await traced(tracer, 'jwks', async () => {
			currentDuringWork = current()
			return 42
		})
		expect({ answer, currentDuringWork, after: current(), calls }).toEqual({
			answer: 42,
			currentDuringWork: 'jwks',
			after: 'parent',
			calls: ['getSegment', 'open jwks', 'setSegment jwks', 'close jwks', 'setSegment parent'],
		})
	})

	it('records an Error on the subsegment and rethrows the same error, the parent restored', async () => {
		const { tracer, calls, current } = recordingTracer()
		const failure = new Error('upstream down')
		await expect(
			traced(tracer, 'jwks', async () => {
				throw failure
			}),
		).rejects.toBe(failure)
		expect(calls).toContain('addError jwks: upstream down')
		expect(calls.slice(-2)).toEqual(['close jwks', 'setSegment parent'])
		expect(current()).toBe('parent')
	})

	it('rethrows a thrown value that is not an Error without recording it', async () => {
		const { tracer, calls } = recordingTracer()
		await expect(
			traced(tracer, 'jwks', async () => {
				throw 'plain text'
			}),
		).rejects.toBe('plain text')
		expect(calls.some((call) => call.startsWith('addError'))).toBe(false)
		expect(calls.slice(-2)).toEqual(['close jwks', 'setSegment parent'])
	})

	it('runs the work untraced while tracing is off, or without a parent segment', async () => {
		const off = recordingTracer({ enabled: false })
		expect(await traced(off.tracer, 'jwks', async () => 'answered')).toBe('answered')
		expect(off.calls).toEqual([])
		const orphan = recordingTracer({ parent: false })
		expect(await traced(orphan.tracer, 'jwks', async () => 'answered')).toBe('answered')
		expect(orphan.calls).toEqual(['getSegment'])
		expect(await traced(undefined, 'jwks', async () => 'answered')).toBe('answered')
	})

	it('closes a subsegment it could not make current and runs the work untraced', async () => {
		const { tracer, calls, current } = recordingTracer({ failSetSegment: true })
		expect(await traced(tracer, 'jwks', async () => 'answered')).toBe('answered')
		expect(calls).toEqual(['getSegment', 'open jwks', 'setSegment jwks', 'close jwks'])
		expect(current()).toBe('parent')
	})

	it('runs the work untraced when the tracer throws before a subsegment is opened', async () => {
		const { tracer, calls, current } = recordingTracer()
		const failing: TracerLike = {
			...tracer,
			getSegment: () => ({
				addNewSubsegment: () => {
					throw new Error('no segment to add to')
				},
			}),
		}
		expect(await traced(failing, 'jwks', async () => 'answered')).toBe('answered')
		expect(calls).toEqual([])
		expect(current()).toBe('parent')
	})

	it('restores the parent and keeps the answer when closing the subsegment throws', async () => {
		const { tracer, calls, current } = recordingTracer({ failClose: true })
		expect(await traced(tracer, 'jwks', async () => 'answered')).toBe('answered')
		expect(calls.slice(-2)).toEqual(['close jwks', 'setSegment parent'])
		expect(current()).toBe('parent')
	})
})

describe('annotate', () => {
	it('annotates only while tracing is on, and a tracer that throws changes nothing', () => {
		const on = recordingTracer()
		annotate(on.tracer, 'tenant_id', 'acme')
		expect(on.calls).toEqual(['annotate tenant_id=acme'])
		const off = recordingTracer({ enabled: false })
		annotate(off.tracer, 'tenant_id', 'acme')
		expect(off.calls).toEqual([])
		expect(() =>
			annotate(recordingTracer({ failAnnotation: true }).tracer, 'rate_limited', true),
		).not.toThrow()
		expect(() => annotate(undefined, 'tenant_id', 'acme')).not.toThrow()
	})
})

describe('isTracerLike', () => {
	it('needs every method the packages call', () => {
		const { tracer } = recordingTracer()
		expect(isTracerLike(tracer)).toBe(true)
		for (const method of ['isTracingEnabled', 'getSegment', 'setSegment', 'putAnnotation']) {
			expect(isTracerLike({ ...tracer, [method]: undefined })).toBe(false)
		}
		expect(isTracerLike(null)).toBe(false)
		expect(isTracerLike('tracer')).toBe(false)
	})
})
