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
 * Runs `work` inside a subsegment named `name` when tracing is on; otherwise just runs it.
 * Errors are recorded on the subsegment and rethrown untouched.
 */
export const traced = async <T>(
	tracer: TracerLike | undefined,
	name: string,
	work: () => Promise<T>,
): Promise<T> => {
	if (!tracer?.isTracingEnabled()) return work()
	const parent = tracer.getSegment()
	if (!parent) return work()
	const subsegment = parent.addNewSubsegment(name)
	const setSegment = tracer.setSegment.bind(tracer) as SetSegment
	setSegment(subsegment)
	try {
		return await work()
	} catch (error) {
		if (error instanceof Error) subsegment.addError(error)
		throw error
	} finally {
		subsegment.close()
		setSegment(parent)
	}
}

/** Adds the `tenant_id` annotation so traces can be filtered per tenant. */
export const annotateTenant = (tracer: TracerLike | undefined, tenantId: string): void => {
	if (tracer?.isTracingEnabled()) tracer.putAnnotation('tenant_id', tenantId)
}
