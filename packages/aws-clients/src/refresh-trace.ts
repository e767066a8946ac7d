import { attemptTracerCall } from '@tenantry/util'
import type { ClientTracer, TraceNamespace } from './options.js'

/**
 * Starts a background credential refresh outside the trace of the invocation that happened to
 * start it, under the root segment instead (on Lambda, the facade of the function's segment).
 *
 * On Lambda the X-Ray SDK keeps the current (sub)segment in one cls-hooked context shared by every
 * invocation, and `captureLambdaHandler` makes its handler segment current by writing it there.
 * The STS call of a refresh that outlives the invocation would open its subsegment under that
 * handler segment, which the X-Ray SDK then never sends (a subsegment closed before its last child
 * is not sent): the invocation's trace loses it. Capturing an async context (an AsyncLocalStorage
 * snapshot, an AsyncResource) cannot help: it holds that shared context, not the segment in it.
 * So the refresh gets a context of its own from the X-Ray SDK's namespace, reached through
 * Powertools' `tracer.provider` escape hatch, with the root segment current in it: the pattern
 * the X-Ray SDK documents for setting the segment (`getNamespace().run` and `setSegment`). A
 * subsegment of the facade is sent on its own, in the trace current when it closes.
 *
 * Where Powertools keeps the current segment per invocation instead (Lambda Managed Instances),
 * `setSegment` writes the invocation's record: the previous segment is put back once the refresh
 * has started (in the shared context that is the segment already there).
 */
export const startOutsideInvocationTrace =
	(tracer: ClientTracer) =>
	<T>(start: () => T): T => {
		let current: object | undefined
		let namespace: TraceNamespace | undefined
		try {
			current = tracer.isTracingEnabled() ? tracer.getSegment() : undefined
			namespace = current === undefined ? undefined : tracer.provider.getNamespace()
		} catch {
			namespace = undefined
		}
		if (current === undefined || namespace === undefined) return start()
		const previous = current
		// A subsegment names its root segment; the root is its own.
		const root =
			'segment' in current && typeof current.segment === 'object' && current.segment !== null
				? current.segment
				: current
		const setSegment = tracer.setSegment.bind(tracer) as (segment: object) => void
		try {
			return namespace.runAndReturn(() => {
				attemptTracerCall(() => setSegment(root))
				return start()
			})
		} finally {
			attemptTracerCall(() => setSegment(previous))
		}
	}
