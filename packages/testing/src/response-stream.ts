import { Writable } from 'node:stream'

/**
 * What a Lambda function URL in `RESPONSE_STREAM` mode sends the client for one invocation:
 * the status, headers and cookies of the HTTP integration prelude (or a 200 of the stream's
 * content type when none was written), the body bytes, and whether the function failed.
 */
export interface StreamedResponse {
	readonly statusCode: number
	readonly headers: Readonly<Record<string, string>>
	readonly cookies: readonly string[]
	readonly body: string
	/** The invocation's error (a rejection of the handler), sent after what was streamed. */
	readonly error: unknown
	/** Whether anything reached the client before the error: a prelude or body bytes. */
	readonly started: boolean
}

/** The handler `awslambda.streamifyResponse()` returns, as the runtime invokes it. */
export type StreamingHandler = (event: unknown, stream: Writable, context: unknown) => unknown

const preludeContentType = 'application/vnd.awslambda.http-integration-response'
const delimiter = Buffer.alloc(8)

/**
 * The runtime's response stream: a writable with a content type (`application/octet-stream`
 * unless set) and a hook `HttpResponseStream.from` sets, which the first `write()` (even of
 * an empty string) runs to put the prelude and its 8 NUL bytes ahead of the body.
 */
class RuntimeResponseStream extends Writable {
	readonly chunks: Buffer[] = []
	contentType = 'application/octet-stream'
	_onBeforeFirstWrite: ((write: (chunk: string | Uint8Array) => void) => void) | undefined

	setContentType(contentType: string): void {
		this.contentType = contentType
	}

	// Node calls _write in order for every write, an empty one too.
	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
		const hook = this._onBeforeFirstWrite
		this._onBeforeFirstWrite = undefined
		hook?.((part) => this.chunks.push(Buffer.from(part)))
		if (chunk.length > 0) this.chunks.push(chunk)
		callback()
	}
}

/**
 * Sets the `awslambda` global the Node.js runtime gives a function (`streamifyResponse`,
 * `HttpResponseStream.from`) as the runtime interface client implements them; returns a
 * function restoring the previous global.
 */
export const installStreamingRuntime = (): (() => void) => {
	const runtime = globalThis as { awslambda?: unknown }
	const previous = runtime.awslambda
	runtime.awslambda = {
		streamifyResponse: (handler: StreamingHandler) => handler,
		HttpResponseStream: {
			from: (stream: RuntimeResponseStream, prelude: unknown) => {
				stream.setContentType(preludeContentType)
				// JSON: the runtime stringifies the prelude (symbol keys and `undefined` drop out).
				const text = JSON.stringify(prelude)
				stream._onBeforeFirstWrite = (write) => {
					write(text)
					write(delimiter)
				}
				return stream
			},
		},
	}
	return () => {
		if (previous === undefined) delete runtime.awslambda
		else runtime.awslambda = previous
	}
}

/** The prelude's fields a function URL reads. */
interface Prelude {
	statusCode?: number
	headers?: Record<string, string>
	cookies?: string[]
}

/** Decodes the bytes as the function URL does: prelude, 8 NUL bytes, then the body. */
const decode = (
	stream: RuntimeResponseStream,
): Pick<StreamedResponse, 'statusCode' | 'headers' | 'cookies' | 'body'> => {
	const bytes = Buffer.concat(stream.chunks)
	if (stream.contentType !== preludeContentType)
		return {
			statusCode: 200,
			headers: { 'content-type': stream.contentType },
			cookies: [],
			body: bytes.toString(),
		}
	const end = bytes.indexOf(delimiter)
	const prelude = JSON.parse(bytes.subarray(0, end).toString()) as Prelude
	return {
		statusCode: prelude.statusCode ?? 200,
		headers: prelude.headers ?? {},
		cookies: prelude.cookies ?? [],
		body: bytes.subarray(end + delimiter.length).toString(),
	}
}

/**
 * Invokes a streaming handler (a middy handler with `executionModeStreamifyResponse`, built
 * after `installStreamingRuntime()`) as the runtime does, in a fresh async context, and returns
 * what the client receives. A rejection is returned as `error`, not thrown.
 */
export const invokeStreaming = async (
	handler: unknown,
	event: unknown,
	context: unknown,
): Promise<StreamedResponse> => {
	const stream = new RuntimeResponseStream()
	const error = await new Promise<unknown>((resolve) => {
		setImmediate(() => {
			Promise.resolve()
				.then(() => (handler as StreamingHandler)(event, stream, context))
				.then(
					() => resolve(undefined),
					(failure: unknown) => resolve(failure ?? new Error('rejected without a reason')),
				)
		})
	})
	const started = stream.chunks.length > 0
	if (!started) return { statusCode: 0, headers: {}, cookies: [], body: '', error, started }
	return { ...decode(stream), error, started }
}
