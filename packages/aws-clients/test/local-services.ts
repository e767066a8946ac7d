import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a local service received, with the credentials that signed it. */
export interface ServiceRequest {
	/** `Publish`, `PutEvents`, `Encrypt`, `GetParameter`… */
	operation: string
	/** The SigV4 signing name from the credential scope, e.g. `sns`, `events`, `kms`, `ssm`. */
	signingName: string | undefined
	accessKeyId: string | undefined
	securityToken: string | undefined
	/** The JSON body, or the form fields of an awsQuery request. */
	input: Record<string, unknown>
}

/**
 * What the next request to an operation gets instead of its answer: an error as the protocol
 * carries it (`code` is the query error code, or the JSON `__type`), an answer `delayMs` late,
 * or the connection dropped.
 */
export type ServiceFault =
	| { status: number; code: string; message?: string }
	| { delayMs: number }
	| { drop: true }

/**
 * A successful answer: the JSON output of a JSON 1.1 operation, or the XML inside
 * `<OperationResult>` of an awsQuery one.
 */
export type Answer = (input: Record<string, unknown>) => Record<string, unknown> | string

export interface LocalServices {
	readonly endpoint: string
	readonly requests: ServiceRequest[]
	/** Answered, in order, to the next requests of `operation` (every operation when undefined). */
	fail(fault: ServiceFault, operation?: string, times?: number): void
	/** Forgets requests and faults. */
	reset(): void
	stop(): Promise<void>
}

const xmlEscape = (value: string): string =>
	value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** SNS's namespace: the awsQuery answers the SDK reads (it matches elements by name). */
const queryNamespace = 'http://sns.amazonaws.com/doc/2010-03-31/'

/**
 * One loopback endpoint speaking the two wire protocols of SNS, EventBridge, KMS and SSM:
 * awsQuery (form-encoded `Action=…`, XML answers and `<ErrorResponse>` errors, 4xx and 5xx as
 * the service sends them) and JSON 1.1 (`X-Amz-Target: <service>.<Operation>`, errors as
 * `{"__type": …}`). It accepts any signature, records which credentials signed each request,
 * and answers each operation from `answers`.
 */
export const startLocalServices = async (
	answers: Record<string, Answer>,
): Promise<LocalServices> => {
	const requests: ServiceRequest[] = []
	let faults: { fault: ServiceFault; operation: string | undefined; remaining: number }[] = []

	const takeFault = (operation: string): ServiceFault | undefined => {
		const planned = faults.find((f) => f.operation === undefined || f.operation === operation)
		if (planned === undefined) return undefined
		planned.remaining--
		if (planned.remaining <= 0) faults = faults.filter((f) => f !== planned)
		return planned.fault
	}

	const answer = async (request: IncomingMessage, body: Buffer, response: ServerResponse) => {
		const target = request.headers['x-amz-target']
		const json = typeof target === 'string'
		const input: Record<string, unknown> = json
			? (JSON.parse(body.toString() || '{}') as Record<string, unknown>)
			: Object.fromEntries(new URLSearchParams(body.toString()))
		const operation = json ? (target.split('.').pop() ?? '') : String(input.Action ?? '')
		const authorization = request.headers.authorization ?? ''
		requests.push({
			operation,
			signingName: /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(authorization)?.[1],
			accessKeyId: /Credential=([^/]+)\//.exec(authorization)?.[1],
			securityToken: request.headers['x-amz-security-token'] as string | undefined,
			input,
		})
		const requestId = randomUUID()
		const fault = takeFault(operation)
		if (fault !== undefined && 'drop' in fault) {
			response.socket?.destroy()
			return
		}
		if (fault !== undefined && 'delayMs' in fault) {
			await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
			if (response.destroyed) return
		}
		if (fault !== undefined && 'code' in fault) {
			const message = fault.message ?? 'injected'
			if (json) {
				response
					.writeHead(fault.status, {
						'Content-Type': 'application/x-amz-json-1.1',
						'x-amzn-RequestId': requestId,
					})
					.end(JSON.stringify({ __type: fault.code, message }))
			} else {
				const type = fault.status >= 500 ? 'Receiver' : 'Sender'
				response
					.writeHead(fault.status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId })
					.end(
						`<ErrorResponse xmlns="${queryNamespace}"><Error><Type>${type}</Type><Code>${fault.code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
					)
			}
			return
		}
		const answerOf = answers[operation]
		if (answerOf === undefined) {
			response.writeHead(400).end(`no local answer for ${operation}`)
			return
		}
		const output = answerOf(input)
		if (json) {
			response
				.writeHead(200, {
					'Content-Type': 'application/x-amz-json-1.1',
					'x-amzn-RequestId': requestId,
				})
				.end(JSON.stringify(output))
		} else {
			response
				.writeHead(200, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId })
				.end(
					`<${operation}Response xmlns="${queryNamespace}"><${operation}Result>${String(output)}</${operation}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
				)
		}
	}

	const server = createServer((request, response) => {
		const chunks: Buffer[] = []
		request.on('data', (chunk: Buffer) => chunks.push(chunk))
		request.on('end', () => {
			answer(request, Buffer.concat(chunks), response).catch((error: unknown) => {
				if (!response.headersSent) response.writeHead(500)
				response.end(String(error))
			})
		})
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const { port } = server.address() as AddressInfo
	return {
		endpoint: `http://127.0.0.1:${port}`,
		requests,
		fail(fault, operation, times = 1) {
			faults.push({ fault, operation, remaining: times })
		},
		reset() {
			requests.length = 0
			faults = []
		},
		stop: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections()
				server.close(() => resolve())
			}),
	}
}
