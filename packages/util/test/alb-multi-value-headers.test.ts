import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { albMultiValueHeaders } from '../src/index.js'

const multiValueAlbEvent = {
	requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:::targetgroup/t/1' } },
	httpMethod: 'GET',
	path: '/',
	multiValueHeaders: { accept: ['*/*'] },
	multiValueQueryStringParameters: {},
}
const singleValueAlbEvent = {
	requestContext: multiValueAlbEvent.requestContext,
	httpMethod: 'GET',
	path: '/',
	headers: { accept: '*/*' },
	queryStringParameters: {},
}
const restApiEvent = {
	requestContext: { requestId: 'r' },
	headers: { accept: '*/*' },
	multiValueHeaders: { accept: ['*/*'] },
}

const after = (event: unknown, response: unknown) => {
	const request = { event, response }
	albMultiValueHeaders().after(request)
	return request.response
}

describe('albMultiValueHeaders', () => {
	it('moves headers into multiValueHeaders for a multi-value ALB target group', () => {
		expect(
			after(multiValueAlbEvent, {
				statusCode: 401,
				body: 'Unauthorized',
				headers: { 'WWW-Authenticate': 'Bearer', 'Retry-After': 5, Empty: undefined },
			}),
		).toEqual({
			statusCode: 401,
			body: 'Unauthorized',
			multiValueHeaders: { 'WWW-Authenticate': ['Bearer'], 'Retry-After': ['5'] },
		})
	})

	it('writes an array header as its lines and a null one as none', () => {
		// A handler's `Set-Cookie: [a, b]` is two lines, not one "a,b"; null is no header, not "null".
		expect(
			after(multiValueAlbEvent, {
				statusCode: 200,
				headers: { 'Set-Cookie': ['a=1', 'b=2'], X: null },
			}),
		).toEqual({ statusCode: 200, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] } })
		// A response whose headers are null is left as it is, never a 500.
		const bare = { statusCode: 204, headers: null }
		expect(after(multiValueAlbEvent, bare)).toBe(bare)
	})

	it('leaves events that only look like a multi-value ALB event alone', () => {
		const response = { statusCode: 200, headers: { 'Retry-After': '5' } }
		// A single-value group that also sends multiValueHeaders reads `headers`.
		expect(after({ ...multiValueAlbEvent, headers: { accept: '*/*' } }, response)).toBe(response)
		// `elb` inherited, not the request context's own: no ALB sent it.
		const inherited = Object.create({ elb: {} }) as object
		expect(after({ ...multiValueAlbEvent, requestContext: inherited }, response)).toBe(response)
	})

	it("keeps the response's own multi-value entry for a name in both, in any case", () => {
		expect(
			after(multiValueAlbEvent, {
				statusCode: 200,
				headers: { 'set-cookie': 'c=3', 'Content-Type': 'text/plain' },
				multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
			}),
		).toEqual({
			statusCode: 200,
			multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], 'Content-Type': ['text/plain'] },
		})
	})

	it('moves a header named __proto__ as a field like any other, never as the prototype', () => {
		// A handler may echo header names it was sent; JSON.parse gives such a name as an own key.
		const headers = JSON.parse('{"__proto__": "x", "Content-Type": "text/plain"}') as object
		const moved = after(multiValueAlbEvent, { statusCode: 200, headers }) as {
			multiValueHeaders: object
		}
		expect(Object.getPrototypeOf(moved.multiValueHeaders)).toBe(Object.prototype)
		expect(Object.entries(moved.multiValueHeaders)).toEqual([
			['__proto__', ['x']],
			['Content-Type', ['text/plain']],
		])
	})

	it("copies the response, never changes the handler's object", () => {
		const shared = Object.freeze({
			statusCode: 200,
			headers: Object.freeze({ 'Content-Type': 'text/plain' }),
		})
		expect(after(multiValueAlbEvent, shared)).toEqual({
			statusCode: 200,
			multiValueHeaders: { 'Content-Type': ['text/plain'] },
		})
		expect(shared.headers).toEqual({ 'Content-Type': 'text/plain' })
	})

	it('leaves every other event, and responses without headers, untouched', () => {
		const response = { statusCode: 200, headers: { 'Content-Type': 'text/plain' } }
		for (const event of [singleValueAlbEvent, restApiEvent, undefined, null, 'event']) {
			expect(after(event, response)).toBe(response)
		}
		const bare = { statusCode: 204 }
		expect(after(multiValueAlbEvent, bare)).toBe(bare)
		expect(after(multiValueAlbEvent, 'ok')).toBe('ok')
		expect(after(multiValueAlbEvent, undefined)).toBeUndefined()
	})

	it('still answers in multiValueHeaders after a later middleware gave the event a headers record', () => {
		// Its `before` runs first and sees the event as it arrived; a later middleware then
		// flattens the headers (so body parsers find the content type), and an error handler
		// answers in `headers`.
		const middleware = albMultiValueHeaders()
		const event: Record<string, unknown> = structuredClone(multiValueAlbEvent)
		const request = { event, response: undefined as unknown }
		middleware.before(request)
		event.headers = { accept: '*/*' }
		request.response = { statusCode: 401, headers: { 'WWW-Authenticate': 'Bearer realm="api"' } }
		middleware.onError(request)
		expect(request.response).toEqual({
			statusCode: 401,
			multiValueHeaders: { 'WWW-Authenticate': ['Bearer realm="api"'] },
		})
	})

	it('does the same in onError, for the response an error handler built', () => {
		const request = {
			event: multiValueAlbEvent,
			response: { statusCode: 503, headers: { 'Retry-After': '1' } } as unknown,
		}
		albMultiValueHeaders().onError(request)
		expect(request.response).toEqual({
			statusCode: 503,
			multiValueHeaders: { 'Retry-After': ['1'] },
		})
		const unanswered = { event: multiValueAlbEvent, response: undefined }
		albMultiValueHeaders().onError(unanswered)
		expect(unanswered.response).toBeUndefined()
	})

	it('never throws, and leaves no headers record on a multi-value ALB answer', () => {
		fc.assert(
			fc.property(fc.anything(), fc.anything(), (event, response) => {
				const answered = after(event, response)
				const onAlb = after(multiValueAlbEvent, response)
				if (typeof response !== 'object' || response === null) {
					expect(onAlb).toBe(response)
					return
				}
				const { headers } = response as { headers?: unknown }
				if (typeof headers === 'object' && headers !== null)
					expect(Object.hasOwn(onAlb as object, 'headers')).toBe(false)
				expect(answered === response || typeof answered === 'object').toBe(true)
			}),
		)
	})
})
