import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the local S3 received, with the credentials that signed it. */
export interface S3Request {
	method: string
	/** `/bucket/key`, path-style. */
	path: string
	query: string
	accessKeyId: string | undefined
	securityToken: string | undefined
}

/** A canned answer for the next request: status, XML error code, optional delay. */
export interface S3Fault {
	status: number
	code: string
}

export interface LocalS3 {
	readonly endpoint: string
	/** Objects by `/bucket/key`. */
	readonly objects: Map<string, Buffer>
	/** Multipart uploads in progress, by upload id: their parts by number. */
	readonly uploads: Map<string, Map<number, Buffer>>
	readonly requests: S3Request[]
	/** Answered, in order, to the next requests instead of doing them. */
	readonly faults: S3Fault[]
	stop(): Promise<void>
}

const errorXml = (code: string, message: string) =>
	`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>local</RequestId></Error>`

/** The payload of an `aws-chunked` body: `<hex size>[;…]\r\n<bytes>\r\n` until a 0 chunk. */
const decodeAwsChunked = (body: Buffer): Buffer => {
	const parts: Buffer[] = []
	let at = 0
	for (;;) {
		const lineEnd = body.indexOf('\r\n', at)
		const size = Number.parseInt(body.subarray(at, lineEnd).toString().split(';')[0] ?? '0', 16)
		if (!size) return Buffer.concat(parts)
		parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
		at = lineEnd + 2 + size + 2
	}
}

const payloadOf = (request: IncomingMessage, body: Buffer): Buffer =>
	/aws-chunked/.test(String(request.headers['content-encoding'] ?? ''))
		? decodeAwsChunked(body)
		: body

/**
 * The part of S3's REST/XML protocol the SDK's object calls use, path-style: PutObject,
 * GetObject (404 NoSuchKey), and multipart upload (create, part, complete, abort). It accepts
 * any signature and records which credentials signed each request.
 */
export const startLocalS3 = async (): Promise<LocalS3> => {
	const objects = new Map<string, Buffer>()
	const uploads = new Map<string, Map<number, Buffer>>()
	const requests: S3Request[] = []
	const faults: S3Fault[] = []
	const answer = (request: IncomingMessage, body: Buffer, response: ServerResponse) => {
		const url = new URL(request.url ?? '/', 'http://local')
		const path = decodeURIComponent(url.pathname)
		requests.push({
			method: request.method ?? '',
			path,
			query: url.search,
			accessKeyId: /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1],
			securityToken: request.headers['x-amz-security-token'] as string | undefined,
		})
		const fault = faults.shift()
		if (fault !== undefined) {
			response
				.writeHead(fault.status, { 'Content-Type': 'application/xml' })
				.end(errorXml(fault.code, 'injected'))
			return
		}
		const params = url.searchParams
		const uploadId = params.get('uploadId')
		const xml = (text: string) =>
			response.writeHead(200, { 'Content-Type': 'application/xml' }).end(text)
		if (request.method === 'POST' && params.has('uploads')) {
			const id = randomUUID()
			uploads.set(id, new Map())
			xml(
				`<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
			)
		} else if (request.method === 'PUT' && uploadId !== null) {
			const number = Number(params.get('partNumber'))
			uploads.get(uploadId)?.set(number, payloadOf(request, body))
			response.writeHead(200, { ETag: `"part-${number}"` }).end()
		} else if (request.method === 'POST' && uploadId !== null) {
			const parts = uploads.get(uploadId) ?? new Map<number, Buffer>()
			const numbers = [...parts.keys()].sort((a, b) => a - b)
			objects.set(path, Buffer.concat(numbers.map((n) => parts.get(n) ?? Buffer.alloc(0))))
			uploads.delete(uploadId)
			xml(
				`<CompleteMultipartUploadResult><Location>http://local${path}</Location><ETag>"done"</ETag></CompleteMultipartUploadResult>`,
			)
		} else if (request.method === 'DELETE' && uploadId !== null) {
			uploads.delete(uploadId)
			response.writeHead(204).end()
		} else if (request.method === 'PUT') {
			objects.set(path, payloadOf(request, body))
			response.writeHead(200, { ETag: '"etag"' }).end()
		} else if (request.method === 'GET') {
			const object = objects.get(path)
			if (object === undefined) {
				response
					.writeHead(404, { 'Content-Type': 'application/xml' })
					.end(errorXml('NoSuchKey', 'The specified key does not exist.'))
				return
			}
			response
				.writeHead(200, { 'Content-Length': object.length, 'Content-Type': 'text/plain' })
				.end(object)
		} else {
			response.writeHead(405).end()
		}
	}
	const server = createServer((request, response) => {
		const chunks: Buffer[] = []
		request.on('data', (chunk: Buffer) => chunks.push(chunk))
		request.on('end', () => answer(request, Buffer.concat(chunks), response))
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const { port } = server.address() as AddressInfo
	return {
		endpoint: `http://127.0.0.1:${port}`,
		objects,
		uploads,
		requests,
		faults,
		stop: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections()
				server.close(() => resolve())
			}),
	}
}
