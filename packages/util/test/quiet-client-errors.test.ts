import { describe, expect, it } from 'vitest'
import { HttpError, quietClientErrors } from '../src/index.js'

/** A parser's 422 as @middy/http-json-body-parser raises it: the body in its cause. */
const parserError = () =>
	Object.assign(new Error('Invalid or malformed JSON was provided'), {
		statusCode: 422,
		expose: true,
		cause: {
			package: '@middy/http-json-body-parser',
			data: '{"email":"a@example.com"',
			message: 'x',
		},
	})

const thrownBy = async (run: () => unknown): Promise<unknown> => {
	try {
		await run()
	} catch (error) {
		return error
	}
	return undefined
}

describe('quietClientErrors', () => {
	it.each([
		['synchronous', false],
		['asynchronous', true],
	])(
		'keeps a %s 4xx status, message and headers, and only the package of its cause',
		async (_, async) => {
			const error = Object.assign(parserError(), { headers: { 'Content-Type': 'text/plain' } })
			const middleware = quietClientErrors({
				before: (_request: object) => {
					if (async) return Promise.reject(error)
					throw error
				},
			})
			const thrown = await thrownBy(() => middleware.before?.({}))
			expect(thrown).toBeInstanceOf(HttpError)
			expect(thrown).toMatchObject({
				statusCode: 422,
				message: 'Invalid or malformed JSON was provided',
				expose: true,
				headers: { 'Content-Type': 'text/plain' },
				cause: { package: '@middy/http-json-body-parser' },
			})
			expect(JSON.stringify((thrown as Error).cause)).not.toContain('example.com')
		},
	)

	it.each([
		['a 5xx', Object.assign(new Error('down'), { statusCode: 503 })],
		['an error without a status', new Error('bug')],
		['a thrown string', 'oops'],
	])('lets %s through as it is', async (_, error) => {
		const middleware = quietClientErrors({
			before: (_request: object) => {
				throw error
			},
		})
		expect(await thrownBy(() => middleware.before?.({}))).toBe(error)
	})

	it('quiets the whole 4xx range and nothing beyond it', async () => {
		// The range's edges: a 400's cause may hold the body too; a 500 stays as thrown, so its
		// message is never turned into one the error handler would show.
		const thrownWith = (statusCode: number) => {
			const error = Object.assign(parserError(), { statusCode })
			const middleware = quietClientErrors({
				before: (_request: object) => {
					throw error
				},
			})
			return thrownBy(() => middleware.before?.({})).then((thrown) => ({ error, thrown }))
		}
		const bad = await thrownWith(400)
		expect(bad.thrown).toBeInstanceOf(HttpError)
		expect(JSON.stringify((bad.thrown as Error).cause)).not.toContain('example.com')
		const failed = await thrownWith(500)
		expect(failed.thrown).toBe(failed.error)
	})

	it.each([
		[false, false],
		[true, true],
		[undefined, true],
	])('keeps an expose of %s as %s: a hidden message stays hidden', async (expose, shown) => {
		const error = Object.assign(parserError(), { expose })
		const middleware = quietClientErrors({
			before: (_request: object) => {
				throw error
			},
		})
		expect(await thrownBy(() => middleware.before?.({}))).toMatchObject({ expose: shown })
	})

	it.each([
		['a number', { package: 42 }],
		// A non-string there could carry the request's data.
		['an object', { package: { data: '{"email":"a@example.com"' } }],
		['an array', { package: ['a@example.com'] }],
		['an error without one', new SyntaxError('Unexpected end of JSON input')],
		['no cause', undefined],
	])('names no package when the cause holds %s', async (_, cause) => {
		const middleware = quietClientErrors({
			before: (_request: object) => {
				throw Object.assign(parserError(), { cause })
			},
		})
		const thrown = await thrownBy(() => middleware.before?.({}))
		expect(thrown).toBeInstanceOf(HttpError)
		expect((thrown as Error).cause).toStrictEqual({ package: undefined })
	})

	it('answers what a synchronous before answers, synchronously', () => {
		const answer = { statusCode: 204 }
		const middleware = quietClientErrors({ before: (_request: object) => answer, after: () => {} })
		expect(middleware.before?.({})).toBe(answer)
		expect(typeof middleware.after).toBe('function')
	})

	it('gives a middleware without before back as it is', () => {
		const middleware: { before?: (request: object) => unknown; after: () => undefined } = {
			after: () => undefined,
		}
		expect(quietClientErrors(middleware)).toBe(middleware)
	})

	it("keeps the name of the middleware's before: middy's beforeMiddleware and afterMiddleware plugin hooks (profiling) report it", () => {
		const before = function httpJsonBodyParserMiddlewareBefore(_request: object) {
			return undefined
		}
		expect(quietClientErrors({ before }).before?.name).toBe('httpJsonBodyParserMiddlewareBefore')
	})
})
