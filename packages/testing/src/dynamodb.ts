import type { IncomingMessage, ServerResponse } from 'node:http'
import {
	CreateTableCommand,
	DynamoDBClient,
	type DynamoDBClientConfig,
	UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb'
import dynalite from 'dynalite'
import { accessKeyIdOf } from './credentials.js'
import { answerCommonFault, createFaultPlan, type Fault, type FaultControl } from './faults.js'
import { localClients } from './local-clients.js'
import { listenOnLoopback } from './loopback-server.js'

export interface RecordedDynamoDbRequest {
	/** e.g. `PutItem` */
	operation: string
	/** The access key id that signed the request: tells which credentials a client used. */
	accessKeyId: string | undefined
	input: Record<string, unknown>
}

export interface CreateTableOptions {
	partitionKey?: string
	/** `null` for a table without a sort key. */
	sortKey?: string | null
	/** Attribute DynamoDB TTL would read; dynalite never expires items, so code must not rely on it. */
	ttlAttribute?: string
}

export interface LocalDynamoDb {
	readonly endpoint: string
	readonly region: string
	/** A client for this endpoint; extra config (e.g. `maxAttempts`) is merged in. */
	client(config?: DynamoDBClientConfig): DynamoDBClient
	/** Creates a table with string `pk`/`sk` keys (configurable) and, optionally, its TTL attribute. */
	createTable(tableName: string, options?: CreateTableOptions): Promise<void>
	/** TTL attributes set through `UpdateTimeToLive`, by table. */
	timeToLive(tableName: string): string | undefined
	/** Every request that reached the endpoint, oldest first. */
	readonly requests: readonly RecordedDynamoDbRequest[]
	clearRequests(): void
	/** Faults by operation (`PutItem`) or table name (batch and transaction requests included): every fault type. */
	readonly faults: FaultControl
	stop(): Promise<void>
}

const errorType = (name: string) => `com.amazonaws.dynamodb.v20120810#${name}`

const sendJson = (response: ServerResponse, status: number, body: unknown): void => {
	const text = JSON.stringify(body)
	response.writeHead(status, {
		'Content-Type': 'application/x-amz-json-1.0',
		'Content-Length': Buffer.byteLength(text),
	})
	response.end(text)
}

export interface StartDynamoDbOptions {
	region?: string
}

/** Starts dynalite (a real DynamoDB implementation) on a random loopback port. */
export const startDynamoDb = async (options: StartDynamoDbOptions = {}): Promise<LocalDynamoDb> => {
	const region = options.region ?? 'us-east-1'
	const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
	const [dynaliteHandler] = server.listeners('request') as ((
		req: IncomingMessage,
		res: ServerResponse,
	) => void)[]
	if (!dynaliteHandler) throw new Error('dynalite registered no request handler')
	server.removeAllListeners('request')

	const requests: RecordedDynamoDbRequest[] = []
	const timeToLive = new Map<string, string>()
	const faults = createFaultPlan()
	const stopping = new AbortController()

	const answerFault = async (fault: Fault, response: ServerResponse): Promise<boolean> => {
		const common = await answerCommonFault(
			fault,
			response,
			faults.delayEnds(stopping.signal),
			(late) => answerFault(late, response),
		)
		if (common !== undefined) return common
		switch (fault.type) {
			case 'throttle':
				sendJson(response, 400, {
					__type: errorType('ProvisionedThroughputExceededException'),
					message: 'The level of configured provisioned throughput for the table was exceeded.',
				})
				return true
			case 'server-error':
				sendJson(response, 500, {
					__type: errorType('InternalServerError'),
					message: 'Internal server error',
				})
				return true
			case 'access-denied':
				sendJson(response, 400, {
					__type: 'com.amazon.coral.service#AccessDeniedException',
					message: 'User is not authorized to perform this action',
				})
				return true
			case 'not-found':
				sendJson(response, 400, {
					__type: errorType('ResourceNotFoundException'),
					message: 'Requested resource not found',
				})
				return true
			case 'malformed':
				response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' }).end('{"Item":')
				return true
			case 'oversized':
				sendJson(response, 200, {
					Item: { pk: { S: 'x' }, padding: { S: 'x'.repeat(fault.bytes ?? 1_048_576) } },
				})
				return true
			default:
				return false
		}
	}

	let inflight = 0
	let drained: (() => void) | undefined
	const settle = () => {
		inflight--
		if (inflight === 0) drained?.()
	}

	server.on('request', (request: IncomingMessage, response: ServerResponse) => {
		if (stopping.signal.aborted) {
			response.socket?.destroy()
			return
		}
		inflight++
		// Settled when dynalite has answered, or when the client hangs up before dynalite has the
		// request: a client that gives up mid-request must not let stop() close the database
		// under a write dynalite is still making.
		let settled = false
		let withDynalite = false
		const settleOnce = () => {
			if (settled) return
			settled = true
			settle()
		}
		response.once('close', () => {
			if (!withDynalite) settleOnce()
		})
		const chunks: Buffer[] = []
		request.on('data', (chunk: Buffer) => chunks.push(chunk))
		request.on('end', async () => {
			const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? ''
			let input: Record<string, unknown> = {}
			try {
				input = JSON.parse(Buffer.concat(chunks).toString() || '{}')
			} catch {
				// dynalite answers malformed bodies itself
			}
			requests.push({ operation, accessKeyId: accessKeyIdOf(request.headers.authorization), input })
			const tableName = typeof input.TableName === 'string' ? input.TableName : undefined
			const fault = faults.take(operation, ...tablesOf(input))
			if (fault && (await answerFault(fault, response))) return
			// After a delay the client may have given up, or the stack may be stopping: then the
			// request is cut off, so stop() does not wait on a client that never hangs up.
			if (response.destroyed) return
			if (stopping.signal.aborted) {
				response.destroy()
				return
			}
			if (operation === 'UpdateTimeToLive' && tableName) {
				const spec = input.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean }
				if (spec?.Enabled && spec.AttributeName) timeToLive.set(tableName, spec.AttributeName)
				else timeToLive.delete(tableName)
				sendJson(response, 200, { TimeToLiveSpecification: spec })
				return
			}
			withDynalite = true
			const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse
			response.end = ((...args: unknown[]) => {
				settleOnce()
				return end(...args)
			}) as ServerResponse['end']
			dynaliteHandler(replayRequest(request, chunks), response)
		})
	})

	const loopback = await listenOnLoopback(server)
	const clients = localClients((config: DynamoDBClientConfig) => new DynamoDBClient(config), {
		region,
		endpoint: loopback.url,
	})
	const { client } = clients

	return {
		endpoint: loopback.url,
		region,
		client,
		async createTable(tableName, tableOptions = {}) {
			const partitionKey = tableOptions.partitionKey ?? 'pk'
			const sortKey = tableOptions.sortKey === undefined ? 'sk' : tableOptions.sortKey
			const admin = client()
			await admin.send(
				new CreateTableCommand({
					TableName: tableName,
					BillingMode: 'PAY_PER_REQUEST',
					AttributeDefinitions: [
						{ AttributeName: partitionKey, AttributeType: 'S' },
						...(sortKey ? [{ AttributeName: sortKey, AttributeType: 'S' as const }] : []),
					],
					KeySchema: [
						{ AttributeName: partitionKey, KeyType: 'HASH' },
						...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
					],
				}),
			)
			if (tableOptions.ttlAttribute) {
				await admin.send(
					new UpdateTimeToLiveCommand({
						TableName: tableName,
						TimeToLiveSpecification: { AttributeName: tableOptions.ttlAttribute, Enabled: true },
					}),
				)
			}
		},
		timeToLive: (tableName) => timeToLive.get(tableName),
		get requests() {
			return requests
		},
		clearRequests() {
			requests.length = 0
		},
		faults,
		async stop() {
			stopping.abort()
			clients.destroyAll()
			// dynalite closes its database on close(); let requests it is serving finish first.
			if (inflight > 0) await new Promise<void>((resolve) => (drained = resolve))
			await new Promise<void>((resolve) => {
				server.closeAllConnections()
				server.close(() => resolve())
			})
		},
	}
}

/**
 * Every table a request names: `TableName`, the keys of `RequestItems` (BatchGetItem,
 * BatchWriteItem) and the `TableName` of each of `TransactItems` (TransactGet/WriteItems).
 */
const tablesOf = (input: Record<string, unknown>): string[] => {
	const tables = new Set<string>()
	if (typeof input.TableName === 'string') tables.add(input.TableName)
	const { RequestItems, TransactItems } = input
	if (typeof RequestItems === 'object' && RequestItems !== null)
		for (const name of Object.keys(RequestItems)) tables.add(name)
	if (Array.isArray(TransactItems))
		for (const item of TransactItems)
			for (const action of Object.values((item ?? {}) as Record<string, unknown>)) {
				const name = (action as { TableName?: unknown } | null)?.TableName
				if (typeof name === 'string') tables.add(name)
			}
	return [...tables]
}

/**
 * dynalite reads the body from `data`/`end` events; hand it a request that replays the
 * bytes already read, with the original method, url and headers.
 */
const replayRequest = (original: IncomingMessage, chunks: Buffer[]): IncomingMessage => {
	const listeners: Record<string, ((arg?: unknown) => void)[]> = {}
	const replay = {
		method: original.method,
		url: original.url,
		headers: original.headers,
		socket: original.socket,
		on(event: string, listener: (arg?: unknown) => void) {
			listeners[event] = [...(listeners[event] ?? []), listener]
			if (event === 'end') {
				queueMicrotask(() => {
					for (const chunk of chunks) for (const onData of listeners.data ?? []) onData(chunk)
					for (const onEnd of listeners.end ?? []) onEnd()
				})
			}
			return replay
		},
		removeAllListeners() {
			for (const key of Object.keys(listeners)) delete listeners[key]
			return replay
		},
	}
	return replay as unknown as IncomingMessage
}
