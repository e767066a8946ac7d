/**
 * The slice of the Powertools `Tracer` Tenantry uses. Structural, so the tracer stays an
 * optional peer dependency and users on another Powertools minor still type-check.
 */
export interface TracerLike {
	isTracingEnabled(): boolean
	getSegment(): SegmentLike | undefined
	setSegment(segment: never): void
	putAnnotation(key: string, value: string | number | boolean): void
}

export interface SegmentLike {
	addNewSubsegment(name: string): SubsegmentLike
}

export interface SubsegmentLike {
	addAnnotation(key: string, value: string | number | boolean): void
	addError(error: Error): void
	close(): void
}

type SetSegment = (segment: unknown) => void

/**
 * True when `value` has every method of `TracerLike`: the check options make at factory time,
 * so that a wrong object is refused there rather than failing requests.
 */
export const isTracerLike = (value: unknown): value is TracerLike => {
	if (typeof value !== 'object' || value === null) return false
	const tracer = value as Record<keyof TracerLike, unknown>
	return (
		typeof tracer.isTracingEnabled === 'function' &&
		typeof tracer.getSegment === 'function' &&
		typeof tracer.setSegment === 'function' &&
		typeof tracer.putAnnotation === 'function'
	)
}

/** Runs a call into the tracer; tracing never changes an answer, so a failure is dropped. */
export const attemptTracerCall = (call: () => void): void => {
	try {
		call()
	} catch {
		// The X-Ray SDK throws, e.g., with AWS_XRAY_CONTEXT_MISSING=RUNTIME_ERROR outside an
		// invocation, or the runtime's invocation store ("No context available") on Lambda
		// Managed Instances.
	}
}

interface OpenSubsegment {
	readonly subsegment: SubsegmentLike
	close(): void
}

const open = (tracer: TracerLike | undefined, name: string): OpenSubsegment | undefined => {
	let subsegment: SubsegmentLike | undefined
	try {
		if (!tracer?.isTracingEnabled()) return undefined
		const parent = tracer.getSegment()
		if (!parent) return undefined
		const opened = parent.addNewSubsegment(name)
		subsegment = opened
		const setSegment = tracer.setSegment.bind(tracer) as SetSegment
		setSegment(opened)
		return {
			subsegment: opened,
			close() {
				attemptTracerCall(() => opened.close())
				attemptTracerCall(() => setSegment(parent))
			},
		}
	} catch {
		// Opened but not made current: close it, and run the work untraced.
		if (subsegment !== undefined) attemptTracerCall(() => subsegment?.close())
		return undefined
	}
}

/**
 * Runs `work` inside a subsegment named `name` when tracing is on; otherwise just runs it.
 * Errors are recorded on the subsegment and rethrown untouched. A tracer that throws never
 * changes the outcome: the work then runs untraced.
 */
export const traced = async <T>(
	tracer: TracerLike | undefined,
	name: string,
	work: () => Promise<T>,
): Promise<T> => {
	const span = open(tracer, name)
	if (span === undefined) return work()
	try {
		return await work()
	} catch (error) {
		if (error instanceof Error) attemptTracerCall(() => span.subsegment.addError(error))
		throw error
	} finally {
		span.close()
	}
}

/** Adds an annotation when tracing is on; a tracer that throws changes nothing. */
export const annotate = (
	tracer: TracerLike | undefined,
	key: string,
	value: string | number | boolean,
): void => {
	attemptTracerCall(() => {
		if (tracer?.isTracingEnabled()) tracer.putAnnotation(key, value)
	})
}

/** Adds the `tenant_id` annotation so traces can be filtered per tenant. */
export const annotateTenant = (tracer: TracerLike | undefined, tenantId: string): void =>
	annotate(tracer, 'tenant_id', tenantId)
