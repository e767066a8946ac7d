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
		clear() {
			documents.length = 0
		},
		stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
	}
}
