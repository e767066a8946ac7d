import { createSocket } from 'node:dgram'

/** An X-Ray segment or subsegment document as the X-Ray SDK sends it (fields we read). */
export interface XraySegment {
	id: string
	name: string
	trace_id?: string
	parent_id?: string
	type?: string
	start_time?: number
	end_time?: number
	in_progress?: boolean
	namespace?: string
	annotations?: Record<string, string | number | boolean>
	metadata?: Record<string, unknown>
	aws?: Record<string, unknown>
	error?: boolean
	fault?: boolean
	subsegments?: XraySegment[]
	[key: string]: unknown
}

export interface XrayCapture {
	/** `127.0.0.1:<port>`, the value for `AWS_XRAY_DAEMON_ADDRESS`. */
	readonly address: string
	/** Documents received, as sent (each may nest subsegments). */
	documents(): XraySegment[]
	/** Every segment and subsegment received, nested ones included, flattened. */
	segments(): XraySegment[]
	/** Resolves once `predicate` holds for the flattened segments, or rejects after `timeoutMs`. */
	waitFor(
		predicate: (segments: XraySegment[]) => boolean,
		timeoutMs?: number,
	): Promise<XraySegment[]>
	/**
	 * The environment of a sampled Lambda invocation whose daemon is this capture: set it
	 * before importing the Powertools tracer (the X-Ray SDK reads it at import) to get real
	 * segments from a test. The trace id is `localTraceId`.
	 */
	lambdaEnv(serviceName?: string): Record<string, string>
	clear(): void
	stop(): Promise<void>
}

const flatten = (documents: XraySegment[]): XraySegment[] => {
	const all: XraySegment[] = []
	const visit = (segment: XraySegment) => {
		all.push(segment)
		for (const child of segment.subsegments ?? []) visit(child)
	}
	for (const document of documents) visit(document)
	return all
}

/**
 * A UDP listener standing in for the X-Ray daemon: it parses the
 * `{"format":"json","version":1}\n<segment>` datagrams the X-Ray SDK (and so the
 * Powertools tracer) sends.
 */
/** The trace every `lambdaEnv()` invocation belongs to. */
export const localTraceId = '1-5759e988-bd862e3fe1be46a994272793'

export const startXrayCapture = async (): Promise<XrayCapture> => {
	const socket = createSocket('udp4')
	const documents: XraySegment[] = []
	const waiters = new Set<() => void>()

	socket.on('message', (message) => {
		const text = message.toString('utf8')
		const newline = text.indexOf('\n')
		try {
			documents.push(JSON.parse(text.slice(newline + 1)) as XraySegment)
		} catch {
			return
		}
		for (const wake of waiters) wake()
	})
	await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
	const { port } = socket.address()

	return {
		address: `127.0.0.1:${port}`,
		documents: () => [...documents],
		segments: () => flatten(documents),
		waitFor(predicate, timeoutMs = 5_000) {
			return new Promise((resolve, reject) => {
				const check = () => {
					const all = flatten(documents)
					if (!predicate(all)) return
					cleanup()
					resolve(all)
				}
				const timer = setTimeout(() => {
					cleanup()
					reject(
						new Error(
							`X-Ray capture: condition not met within ${timeoutMs} ms (${documents.length} documents)`,
						),
					)
				}, timeoutMs)
				const cleanup = () => {
					clearTimeout(timer)
					waiters.delete(check)
				}
				waiters.add(check)
				check()
			})
		},
		lambdaEnv: (serviceName = 'tenantry-test') => ({
			AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}`,
			AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
			LAMBDA_TASK_ROOT: '/var/task',
			_HANDLER: 'index.handler',
			AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
			_X_AMZN_TRACE_ID: `Root=${localTraceId};Parent=53995c3f42cd8ad8;Sampled=1`,
			POWERTOOLS_SERVICE_NAME: serviceName,
			POWERTOOLS_TRACE_ENABLED: 'true',
		}),
		clear() {
			documents.length = 0
		},
		stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
	}
}
