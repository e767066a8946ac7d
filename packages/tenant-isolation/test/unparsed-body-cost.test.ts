import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { pipeline } from './harness.js'

/**
 * With `match.bodyField`, a body that is still a string was handed to `JSON.parse` whole, only to
 * choose between a 415 and "names no tenant". The handler never reads that parse, and a parse is
 * the most expensive thing one request can ask of V8: measured on the code before the fix, a
 * JSON string literal of 9 MB of `[` (which `@middy/http-json-body-parser` parses in 30 ms, to a
 * string) then cost tenantIsolation 4.5 s of CPU and was let through; 6 MB of `[{},...]` sent as
 * text/plain, 0.2 to 1.3 s and its 2 million objects. Here no body text reaches `JSON.parse`
 * beyond the one parse the body parser makes; the bodies are kept small so the old code fails in
 * milliseconds.
 */

/** Lengths of the texts `JSON.parse` read while `run` runs. */
const jsonParseLengths = async (run: () => Promise<unknown>): Promise<number[]> => {
	const lengths: number[] = []
	const parse = JSON.parse
	const spy = vi.spyOn(JSON, 'parse').mockImplementation((text, reviver) => {
		lengths.push(String(text).length)
		return parse(text, reviver)
	})
	try {
		await run()
	} finally {
		spy.mockRestore()
	}
	return lengths
}

const size = 65_536
const match = { bodyField: 'tenantId' }

afterEach(() => {
	vi.restoreAllMocks()
})

describe('an unparsed string body that opens like JSON', () => {
	it('is refused (415) without being parsed: deep nesting sent as text/plain', async () => {
		const { handler, seen } = pipeline({ match }, { auth: 'acme' })
		for (const body of ['['.repeat(size), `[${'{},'.repeat(size / 3)}{}]`]) {
			const event = httpApiEvent({
				method: 'POST',
				headers: { 'content-type': 'text/plain' },
				body,
			})
			let status: number | undefined
			const lengths = await jsonParseLengths(async () => {
				status = (await handler(event, lambdaContext() as Context)).statusCode
			})
			expect(lengths.filter((length) => length >= size)).toEqual([])
			expect(status).toBe(415)
		}
		expect(seen).toEqual([])
	})

	it('is refused base64-encoded too, the decoded text never parsed', async () => {
		const { handler } = pipeline({ match }, { auth: 'acme' })
		const event = httpApiEvent({
			method: 'POST',
			headers: { 'content-type': 'application/octet-stream' },
			body: Buffer.from('['.repeat(size)),
		})
		let status: number | undefined
		const lengths = await jsonParseLengths(async () => {
			status = (await handler(event, lambdaContext() as Context)).statusCode
		})
		expect(lengths.filter((length) => length >= size)).toEqual([])
		expect(status).toBe(415)
	})

	it('a JSON string literal the body parser left as text: only the body parser parses', async () => {
		const { handler, seen } = pipeline({ match }, { auth: 'acme', parseBody: true })
		const raw = JSON.stringify('['.repeat(size))
		const event = httpApiEvent({
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: raw,
		})
		let status: number | undefined
		const lengths = await jsonParseLengths(async () => {
			status = (await handler(event, lambdaContext() as Context)).statusCode
		})
		// The body parser's one parse of the raw body; nothing parses the string it produced.
		expect(lengths.filter((length) => length >= size)).toEqual([raw.length])
		expect(status).toBe(415)
		expect(seen).toEqual([])
	})

	it('other strings still name no tenant, and a parsed body is still read', async () => {
		const { handler } = pipeline({ match }, { auth: 'acme', parseBody: true })
		const send = (body: string, contentType = 'application/json') =>
			handler(
				httpApiEvent({ method: 'POST', headers: { 'content-type': contentType }, body }),
				lambdaContext() as Context,
			)
		expect((await send('"globex"')).statusCode).toBe(200)
		expect((await send('{"tenantId":"acme"}')).statusCode).toBe(200)
		expect((await send('{"tenantId":"globex"}')).statusCode).toBe(403)
	})
})
