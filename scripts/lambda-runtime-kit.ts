import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { bundleDir, exampleFunctions, root, templateOf } from './examples.js'

/**
 * The Lambda Runtime API (2018-06-01) as a deployed function's runtime sees it, served on
 * 127.0.0.1 for one process of AWS's Node.js runtime interface client (`aws-lambda-ric`, what
 * the Lambda base images run): an event per `invoke()`, and what the runtime posted back.
 */

/** What the runtime posted for one invocation, or the process ending before it did. */
export type RuntimeOutcome =
	| { kind: 'response'; body: unknown }
	| { kind: 'error'; errorType: string; body: { errorType?: string; errorMessage?: string } }
	| {
			kind: 'streamed'
			contentType: string
			bytes: Buffer
			/** The trailers a failure mid-stream sets (`Lambda-Runtime-Function-Error-*`). */
			trailers: Readonly<Record<string, string>>
	  }
	| { kind: 'exit'; code: number | null; signal: string | null }

/** One invocation as the runtime handled it, for the checks on timing. */
export interface InvocationRecord {
	id: string
	/** When the runtime received the event and when its answer arrived (ms, performance.now()). */
	sentAt: number
	answeredAt: number
	outcome: RuntimeOutcome
}

export interface InvokeOptions {
	/** `Lambda-Runtime-Aws-Request-Id`; a new UUID unless given. */
	requestId?: string
	/** Milliseconds until `Lambda-Runtime-Deadline-Ms`: the template's Timeout by default. */
	timeoutMs?: number
	/** `Lambda-Runtime-Trace-Id`: sampled, as a function with active tracing receives it. */
	traceId?: string
}

/** A function's execution environment: its Runtime API, the runtime's process, its output. */
export interface LambdaContainer {
	readonly functionName: string
	readonly pid: number | undefined
	invoke(event: unknown, options?: InvokeOptions): Promise<RuntimeOutcome>
	/** What `/runtime/init/error` received, if anything: the body and its error-type header. */
	initError(): { errorType: string; body: unknown } | undefined
	/** Every invocation answered so far. */
	invocations(): readonly InvocationRecord[]
	/** Resolves when the runtime's process has ended. */
	exited(): Promise<{ code: number | null; signal: string | null }>
	stop(): Promise<void>
}

const runtimeApiPath = '/2018-06-01/runtime'

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
	const chunks: Buffer[] = []
	for await (const chunk of request) chunks.push(chunk as Buffer)
	return Buffer.concat(chunks)
}

const parseJson = (bytes: Buffer): unknown => {
	try {
		return JSON.parse(bytes.toString('utf8'))
	} catch {
		return bytes.toString('utf8')
	}
}

/** The `aws-lambda-ric` major this checks against: the one Lambda's Node.js 22 and 24 images run. */
export const ricVersion = '4'

/** npm's `nodedir` setting, for the install's error message: `''` when unset or unreadable. */
const nodeDir = (): string => {
	try {
		const value = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim()
		return value === 'undefined' || value === 'null' ? '' : value
	} catch {
		return ''
	}
}

/**
 * Installs `aws-lambda-ric` into `node_modules/.cache/` (once) and returns its entry point. Its
 * install scripts build libcurl and aws-lambda-cpp from the sources it ships, then its addon
 * with node-gyp: cmake, make, a C++ compiler and Python are needed, autotools not. It stays out
 * of the workspace's dependencies so that `pnpm install` never needs those.
 */
export const installRuntimeInterfaceClient = (): string => {
	const prefix = join(root, 'node_modules', '.cache', `aws-lambda-ric-${ricVersion}`)
	const packageDir = join(prefix, 'node_modules', 'aws-lambda-ric')
	// The addon is the last thing its postinstall writes: without it the install did not finish.
	if (!existsSync(join(packageDir, 'rapid-client.node'))) {
		mkdirSync(prefix, { recursive: true })
		console.log(`… installing aws-lambda-ric@${ricVersion} (builds its native client, ~1 min)`)
		try {
			execFileSync(
				'npm',
				[
					'install',
					'--prefix',
					prefix,
					'--no-save',
					'--foreground-scripts',
					`aws-lambda-ric@${ricVersion}`,
				],
				// This Node first on PATH, so npm and node-gyp run on it. node-gyp compiles against
				// the headers npm's `nodedir` names if set (another Node's do: the addon uses N-API),
				// else it downloads this Node's from nodejs.org.
				{
					stdio: ['ignore', 'ignore', 'inherit'],
					env: {
						...process.env,
						PATH: `${join(process.execPath, '..')}:${process.env.PATH ?? ''}`,
					},
				},
			)
		} catch (error) {
			throw new Error(
				`installing aws-lambda-ric@${ricVersion} failed (npm's output above). It needs npm and the registry, cmake, make, a C++ compiler and Python, and Node headers: node-gyp downloads them from nodejs.org unless npm's nodedir (now ${JSON.stringify(nodeDir())}) names a folder with include/node.`,
				{ cause: error },
			)
		}
		if (!existsSync(join(packageDir, 'rapid-client.node')))
			throw new Error(`aws-lambda-ric installed without its native client: ${packageDir}`)
	}
	return join(packageDir, 'index.mjs')
}

export interface StartContainerOptions {
	/** The entry point `installRuntimeInterfaceClient()` returned. */
	ric: string
	/** `LAMBDA_TASK_ROOT`: the deployed code, e.g. `examples/<name>/dist`. */
	taskRoot: string
	/** `_HANDLER`, e.g. `handler.handler`. */
	handler: string
	functionName: string
	/** The template's `Runtime` (`AWS_EXECUTION_ENV`); the process runs on this Node whatever it says. */
	runtime?: string
	timeoutSec?: number
	memorySize?: number
	/** The function's configuration (see templateEnvironment) and the local stack's endpoints. */
	environment: Readonly<Record<string, string>>
	/** Each line the runtime's process prints (stdout and stderr). */
	onOutput?: (line: string) => void
}

/** What an example's template says about one of its functions, for startContainer. */
export const exampleContainerOptions = (
	example: string,
	file: string,
): Omit<StartContainerOptions, 'ric' | 'environment'> => {
	const fn = exampleFunctions(example).find((each) => each.file === file)
	if (fn === undefined)
		throw new Error(`${example}: no function with Handler ${file}.* in its template`)
	const properties = fn.resource.Properties ?? {}
	const globals = templateOf(example).Globals?.Function ?? {}
	const setting = (name: string) => properties[name] ?? globals[name]
	return {
		taskRoot: join(root, 'examples', example, bundleDir),
		handler: String(properties.Handler),
		functionName: fn.name,
		runtime: String(setting('Runtime') ?? 'nodejs22.x'),
		timeoutSec: Number(setting('Timeout') ?? 3),
		memorySize: Number(setting('MemorySize') ?? 128),
	}
}

/**
 * Starts a container of a function as Lambda does: its code as `LAMBDA_TASK_ROOT` (the bundle
 * `pnpm bundle` wrote, for an example), its `Handler` as `_HANDLER`, the runtime interface
 * client as the process, told where the Runtime API is by `AWS_LAMBDA_RUNTIME_API`. Resolves
 * once the Runtime API listens; the runtime's init runs meanwhile and ends with its first
 * `GET /invocation/next` (or a `POST /init/error`).
 */
export const startContainer = async (options: StartContainerOptions): Promise<LambdaContainer> => {
	const timeoutSec = options.timeoutSec ?? 3
	interface Pending {
		id: string
		event: unknown
		deadline: number
		traceId: string
		sentAt: number
		settle: (outcome: RuntimeOutcome) => void
		/** Ends the process at the deadline, as Lambda does: else a handler that never answers hangs the run. */
		timeout?: NodeJS.Timeout
	}
	const queued: Pending[] = []
	const inFlight = new Map<string, Pending>()
	const records: InvocationRecord[] = []
	let waiting: ServerResponse | undefined
	let initError: { errorType: string; body: unknown } | undefined

	const deliver = () => {
		const next = waiting && queued.shift()
		if (!waiting || !next) return
		const response = waiting
		waiting = undefined
		next.sentAt = performance.now()
		inFlight.set(next.id, next)
		next.timeout = setTimeout(
			() => {
				options.onOutput?.(
					`${next.id} Task timed out: the runtime's process is ended, as Lambda does`,
				)
				child.kill('SIGKILL')
			},
			Math.max(0, next.deadline - Date.now()),
		).unref()
		response.writeHead(200, {
			'content-type': 'application/json',
			'lambda-runtime-aws-request-id': next.id,
			'lambda-runtime-deadline-ms': String(next.deadline),
			'lambda-runtime-invoked-function-arn': `arn:aws:lambda:us-east-1:000000000000:function:${options.functionName}`,
			'lambda-runtime-trace-id': next.traceId,
		})
		response.end(JSON.stringify(next.event))
	}

	const settle = (id: string, outcome: RuntimeOutcome) => {
		const pending = inFlight.get(id)
		if (pending === undefined) return false
		clearTimeout(pending.timeout)
		inFlight.delete(id)
		records.push({ id, sentAt: pending.sentAt, answeredAt: performance.now(), outcome })
		pending.settle(outcome)
		return true
	}

	const accepted = (response: ServerResponse) => {
		response.writeHead(202, { 'content-type': 'application/json' })
		response.end('{"status":"OK"}')
	}

	const server = createServer((request, response) => {
		const url = request.url ?? ''
		void (async () => {
			if (request.method === 'GET' && url === `${runtimeApiPath}/invocation/next`) {
				waiting = response
				deliver()
				return
			}
			const invocation = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url)
			if (request.method === 'POST' && invocation) {
				const id = decodeURIComponent(invocation[1] ?? '')
				const streaming = request.headers['lambda-runtime-function-response-mode'] === 'streaming'
				const bytes = await readBody(request)
				let outcome: RuntimeOutcome
				if (invocation[2] === 'error')
					outcome = {
						kind: 'error',
						errorType: String(request.headers['lambda-runtime-function-error-type'] ?? ''),
						body: parseJson(bytes) as { errorType?: string; errorMessage?: string },
					}
				else if (streaming)
					outcome = {
						kind: 'streamed',
						contentType: String(request.headers['content-type'] ?? ''),
						bytes,
						trailers: { ...request.trailers } as Record<string, string>,
					}
				else outcome = { kind: 'response', body: parseJson(bytes) }
				if (settle(id, outcome)) accepted(response)
				else {
					response.writeHead(400, { 'content-type': 'application/json' })
					response.end('{"errorType":"InvalidRequestID"}')
				}
				return
			}
			if (request.method === 'POST' && url === `${runtimeApiPath}/init/error`) {
				initError = {
					errorType: String(request.headers['lambda-runtime-function-error-type'] ?? ''),
					body: parseJson(await readBody(request)),
				}
				accepted(response)
				return
			}
			response.writeHead(404)
			response.end()
		})().catch((error: unknown) => {
			// A request the runtime's process broke off (it exited while posting): nothing to answer.
			options.onOutput?.(`Runtime API: ${request.method} ${url} broken off: ${String(error)}`)
		})
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const { port } = server.address() as AddressInfo

	const child: ChildProcess = spawn(process.execPath, [options.ric], {
		cwd: options.taskRoot,
		stdio: ['ignore', 'pipe', 'pipe'],
		// What Lambda sets for a Node.js function (no AWS_SESSION_TOKEN: the local stack signs with
		// a plain key), then the function's own configuration. Nothing else of this shell's.
		env: {
			PATH: `${join(process.execPath, '..')}:/usr/local/bin:/usr/bin:/bin`,
			LANG: 'en_US.UTF-8',
			TZ: ':UTC',
			AWS_EXECUTION_ENV: `AWS_Lambda_${options.runtime ?? 'nodejs22.x'}`,
			AWS_LAMBDA_FUNCTION_NAME: options.functionName,
			AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
			AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySize ?? 128),
			AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
			AWS_LAMBDA_LOG_STREAM_NAME: `2026/01/01/[$LATEST]${randomUUID().replaceAll('-', '')}`,
			AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
			AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
			AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
			LAMBDA_TASK_ROOT: options.taskRoot,
			LAMBDA_RUNTIME_DIR: join(options.ric, '..'),
			_HANDLER: options.handler,
			...options.environment,
		},
	})
	for (const output of [child.stdout, child.stderr])
		if (output) createInterface({ input: output }).on('line', (line) => options.onOutput?.(line))
	const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
		child.once('exit', (code, signal) => {
			// What Lambda reports as Runtime.ExitError: every invocation the process still owed.
			for (const id of [...inFlight.keys()]) settle(id, { kind: 'exit', code, signal })
			for (const pending of queued.splice(0)) pending.settle({ kind: 'exit', code, signal })
			resolve({ code, signal })
		}),
	)
	let ended = false
	void exited.then(() => {
		ended = true
	})

	return {
		functionName: options.functionName,
		pid: child.pid,
		invoke: (event, invokeOptions = {}) =>
			new Promise<RuntimeOutcome>((resolve) => {
				if (ended) return resolve({ kind: 'exit', code: child.exitCode, signal: null })
				queued.push({
					id: invokeOptions.requestId ?? randomUUID(),
					event,
					deadline: Date.now() + (invokeOptions.timeoutMs ?? timeoutSec * 1000),
					traceId:
						invokeOptions.traceId ??
						`Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Parent=53995c3f42cd8ad8;Sampled=1`,
					sentAt: 0,
					settle: resolve,
				})
				deliver()
			}),
		initError: () => initError,
		invocations: () => records,
		exited: () => exited,
		async stop() {
			if (!ended) child.kill('SIGKILL')
			await exited
			waiting?.destroy()
			server.closeAllConnections()
			await new Promise<void>((resolve) => server.close(() => resolve()))
		},
	}
}

/**
 * The function's configuration as its template declares it: each variable the template sets,
 * valued from `values` (what a scenario put in `process.env`), else the template's literal.
 * A variable the handler reads but the template does not set stays unset, as it would on AWS.
 */
export const templateEnvironment = (
	example: string,
	file: string,
	values: Readonly<Record<string, string | undefined>>,
): Record<string, string> => {
	const fn = exampleFunctions(example).find((each) => each.file === file)
	const environment = fn?.resource.Properties?.Environment as
		| { Variables?: Record<string, unknown> }
		| undefined
	const result: Record<string, string> = {}
	for (const [name, declared] of Object.entries(environment?.Variables ?? {})) {
		const value = values[name] ?? (typeof declared === 'string' ? declared : undefined)
		if (value !== undefined) result[name] = value
	}
	return result
}

/** The error a handler's module throws for an `/invocation/error` or a runtime that exited. */
export class RuntimeInvocationError extends Error {
	constructor(readonly outcome: RuntimeOutcome) {
		super(
			outcome.kind === 'error'
				? (outcome.body.errorMessage ?? '')
				: `the runtime's process exited (code ${outcome.kind === 'exit' ? outcome.code : '?'})`,
		)
		this.name = outcome.kind === 'error' ? outcome.errorType : 'Runtime.ExitError'
	}
}

/**
 * What a function URL in RESPONSE_STREAM mode makes of a streamed response: with the HTTP
 * integration content type, the JSON prelude up to 8 NUL bytes, then the body; else a 200 of
 * the stream's content type. (`invokeStreaming` of @tenantry/testing decodes its stand-in's
 * bytes the same way: comparing both is the point.)
 */
export const decodeStreamed = (contentType: string, bytes: Buffer) => {
	if (contentType !== 'application/vnd.awslambda.http-integration-response')
		return {
			statusCode: 200,
			headers: { 'content-type': contentType },
			cookies: [],
			body: bytes.toString(),
		}
	const end = bytes.indexOf(Buffer.alloc(8))
	const prelude = JSON.parse(bytes.subarray(0, end).toString()) as {
		statusCode?: number
		headers?: Record<string, string>
		cookies?: string[]
	}
	return {
		statusCode: prelude.statusCode ?? 200,
		headers: prelude.headers ?? {},
		cookies: prelude.cookies ?? [],
		body: bytes.subarray(end + 8).toString(),
	}
}
