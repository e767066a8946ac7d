import { afterEach, expect, it, vi } from 'vitest'
import {
	describeRefusal,
	HttpError,
	logHttpError,
	misconfigured,
	serviceUnavailable,
	TenantryError,
	unauthorized,
} from '../src/index.js'

afterEach(() => {
	vi.restoreAllMocks()
})

class ExpiredError extends TenantryError {
	readonly tenantId = 'acme'
	readonly skewSec = -600
	constructor() {
		super('@tenantry/example', 'example_expired', 'timestamp is 600 s in the past')
	}
}

const logged = () => {
	const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
	return () => error.mock.calls.map((args) => args)
}

it('logs a refusal as one JSON line of its reason and facts', () => {
	const calls = logged()
	logHttpError(unauthorized('HMAC realm="api"', new ExpiredError()))
	const [[line, ...rest] = []] = calls()
	expect(rest).toEqual([])
	expect(typeof line).toBe('string')
	expect(String(line)).not.toContain('\n')
	expect(JSON.parse(String(line))).toEqual({
		level: 'WARN',
		message: 'request refused',
		status: 401,
		error: 'UnauthorizedError',
		answer: 'Unauthorized',
		code: 'example_expired',
		package: '@tenantry/example',
		reason: 'timestamp is 600 s in the past',
		tenantId: 'acme',
		skewSec: -600,
	})
})

it("keeps a stock middleware's cause down to its package: it may hold the body", () => {
	const body = '{"email":"someone@example.com"'
	const error = new HttpError(422, 'Invalid or malformed JSON was provided', {
		cause: { package: '@middy/http-json-body-parser', data: body },
	})
	expect(describeRefusal(error)).toEqual({
		status: 422,
		error: 'UnprocessableEntityError',
		answer: 'Invalid or malformed JSON was provided',
		package: '@middy/http-json-body-parser',
	})
})

it('logs a 5xx and a plain error whole, as the default logger does', () => {
	const calls = logged()
	const outage = serviceUnavailable(5, new ExpiredError())
	const bug = new TypeError('x is undefined')
	logHttpError(outage)
	logHttpError(bug)
	expect(calls()).toEqual([[outage], [bug]])
	expect(describeRefusal(outage)).toBeUndefined()
})

it('never fails on a foreign error whose fields throw', () => {
	const calls = logged()
	const hostile = Object.defineProperty(new Error('x'), 'statusCode', {
		get() {
			throw new Error('getter')
		},
	})
	expect(() => logHttpError(hostile)).not.toThrow()
	expect(calls()).toEqual([[hostile]])
})

it('describes only client errors: a 400 is a refusal, a 500 is logged whole', () => {
	// The 4xx range's edges: a 400 is one line; a 500 (a misconfiguration) keeps its stack.
	expect(describeRefusal(new HttpError(400))).toEqual({
		status: 400,
		error: 'BadRequestError',
		answer: 'Bad Request',
	})
	const calls = logged()
	const broken = misconfigured('tenantIsolation: use jwtAuth() first')
	logHttpError(broken)
	expect(calls()).toEqual([[broken]])
	// A plain object with a status is not an HTTP error: logged whole, never described.
	expect(describeRefusal({ statusCode: 401, message: 'Bearer eyJ.secret' })).toBeUndefined()
})

it("never logs a message the client was not shown, nor a non-Tenantry cause's text", () => {
	// An unexposed 4xx message may hold what the error's author did not mean to log; a plain
	// Error cause (JSON.parse's, quoting the body) has no `code` and its message is the body.
	const body = '{"email":"someone@example.com"'
	const error = new HttpError(400, `bad input ${body}`, {
		expose: false,
		cause: new SyntaxError(`Unexpected end of JSON input: ${body}`),
	})
	const facts = describeRefusal(error)
	expect(facts).toEqual({ status: 400, error: 'BadRequestError' })
	expect(JSON.stringify(facts)).not.toContain('someone@example.com')
	// A foreign 4xx that does not say it was exposed counts as not shown.
	const foreign = Object.assign(new Error(`row ${body}`), { statusCode: 409 })
	expect(describeRefusal(foreign)).toEqual({ status: 409, error: 'Error' })
})

it('clips every text it copies, so a refusal line stays bounded', () => {
	const long = 'x'.repeat(500)
	class LongError extends TenantryError {
		readonly claimed = long
		constructor() {
			super('@tenantry/example', 'example_long', long)
		}
	}
	const clipped = `${'x'.repeat(128)}…`
	expect(describeRefusal(new HttpError(403, long, { cause: new LongError() }))).toMatchObject({
		answer: clipped,
		reason: clipped,
		claimed: clipped,
	})
	// A stock middleware's package is clipped too, and one that is not text is left out.
	expect(describeRefusal(new HttpError(422, 'x', { cause: { package: long } }))?.package).toBe(
		clipped,
	)
	expect(
		describeRefusal(new HttpError(422, 'x', { cause: { package: { body: 'Bearer eyJ' } } })),
	).not.toHaveProperty('package')
})

it("keeps the status and name it read over a reason's own fields of the same name", () => {
	class ShadowingError extends TenantryError {
		readonly status = 200
		readonly error = 'none'
		constructor() {
			super('@tenantry/example', 'example_shadow', 'fields named like the facts')
		}
	}
	expect(describeRefusal(unauthorized('Bearer', new ShadowingError()))).toMatchObject({
		status: 401,
		error: 'UnauthorizedError',
	})
})

it("names a reason's own cause by its type, never by its text", () => {
	// A reason's cause may be anything a dependency threw: a string with the token in it.
	const reason = new TenantryError('@tenantry/example', 'example_bad', 'token rejected', {
		cause: 'Bearer eyJhbGciOi.secret',
	})
	const facts = describeRefusal(unauthorized('Bearer', reason))
	expect(facts?.causeName).toBe('string')
	expect(JSON.stringify(facts)).not.toContain('eyJ')
})
