import { afterEach, expect, it, vi } from 'vitest'
import {
	describeRefusal,
	HttpError,
	logHttpError,
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
