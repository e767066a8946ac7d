import middy, { type MiddlewareObj } from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { albEvent, httpApiEvent, lambdaContext, restApiEvent } from '@tenantry/testing'
import { getHeader, type HttpEventLike } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { tenantIsolation } from '../src/index.js'
import { asLambda, testAuth } from './harness.js'

/**
 * A form body parser as users write one (or `@middy/http-urlencode-body-parser`): for
 * `application/x-www-form-urlencoded`, `event.body` becomes an object of the fields.
 */
const formBodyParser = (): MiddlewareObj<HttpEventLike> => ({
	before: (request) => {
		const { event } = request
		const type = getHeader(event, 'content-type') ?? ''
		if (!/^application\/x-www-form-urlencoded/i.test(type) || typeof event.body !== 'string') return
		const text = event.isBase64Encoded
			? Buffer.from(event.body, 'base64').toString('utf8')
			: event.body
		event.body = Object.fromEntries(new URLSearchParams(text))
	},
})

/** The handler reads the body field the check was configured for, as handlers do. */
const chain = (formParserFirst: boolean) => {
	const seen: unknown[] = []
	const handler = middy(async (event: HttpEventLike) => {
		seen.push((event.body as Record<string, unknown>).tenantId)
		return { statusCode: 200, body: '' }
	})
		.use(httpErrorHandler({ logger: false }))
		.use(testAuth(() => 'acme'))
	if (formParserFirst) handler.use(formBodyParser())
	handler.use(tenantIsolation({ match: { bodyField: 'tenantId' }, onViolation: () => undefined }))
	if (!formParserFirst) handler.use(formBodyParser())
	return {
		invoke: (event: unknown) => asLambda(handler)(event, lambdaContext() as Context),
		seen,
	}
}

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const formPosts = (body: string) =>
	[
		['HTTP API', httpApiEvent({ method: 'POST', headers: form, body })],
		['HTTP API, base64', httpApiEvent({ method: 'POST', headers: form, body: Buffer.from(body) })],
		[
			'REST API',
			restApiEvent({ method: 'POST', headers: { 'Content-Type': form['content-type'] }, body }),
		],
		['ALB, multi-value', albEvent({ method: 'POST', headers: form, body, multiValue: true })],
		[
			'multipart',
			httpApiEvent({
				method: 'POST',
				headers: { 'content-type': 'multipart/form-data; boundary=x' },
				body: `--x\r\nContent-Disposition: form-data; name="tenantId"\r\n\r\n${body.split('=')[1]}\r\n--x--\r\n`,
			}),
		],
	] as const

describe('match.bodyField and a form body parsed after tenantIsolation', () => {
	it.each(formPosts('tenantId=globex'))(
		'%s: a form naming globex, from acme, is refused (415), never handed to the handler',
		async (_shape, event) => {
			const { invoke, seen } = chain(false)
			const response = await invoke(event)
			// Observed before the fix: 200, and the handler read tenantId=globex from the form.
			expect(response.statusCode).toBe(415)
			expect(seen).toEqual([])
		},
	)

	it('with the form parser before it, the form is read like a parsed JSON body', async () => {
		const { invoke, seen } = chain(true)
		const post = (body: string) => invoke(httpApiEvent({ method: 'POST', headers: form, body }))
		expect((await post('tenantId=acme')).statusCode).toBe(200)
		expect((await post('tenantId=globex')).statusCode).toBe(403)
		expect(seen).toEqual(['acme'])
	})

	it('a plain-text body still names no tenant', async () => {
		const { invoke } = chain(false)
		const response = await invoke(
			httpApiEvent({
				method: 'POST',
				headers: { 'content-type': 'text/plain' },
				body: 'tenantId=globex',
			}),
		)
		expect(response.statusCode).toBe(200)
	})
})

describe('which Content-Type declares a form', () => {
	const post = (contentType: string) =>
		httpApiEvent({
			method: 'POST',
			headers: { 'content-type': contentType },
			body: 'tenantId=globex',
		})

	// Media types are case-insensitive (RFC 9110 section 8.3.1), and a parser may read any copy
	// of a repeated header (API Gateway joins them with a comma).
	it.each([
		'Multipart/Form-Data; boundary=x',
		'APPLICATION/X-WWW-FORM-URLENCODED',
		'application/x-www-form-urlencoded ; charset=UTF-8',
		'text/plain,application/x-www-form-urlencoded',
		'text/plain, multipart/form-data; boundary=x',
	])('%s is a form: refused (415)', async (contentType) => {
		const { invoke, seen } = chain(false)
		expect((await invoke(post(contentType))).statusCode).toBe(415)
		expect(seen).toEqual([])
	})

	it.each([
		'application/x-www-form-urlencodedx',
		'text/plain; note=application/x-www-form-urlencoded',
		'application/multipart/form-data',
	])('%s is no form: the text names no tenant', async (contentType) => {
		const { invoke } = chain(false)
		expect((await invoke(post(contentType))).statusCode).toBe(200)
	})
})
