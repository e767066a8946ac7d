import { describe, expect, it, vi } from 'vitest'
import {
	anchorPattern,
	assertKnownKeys,
	clip,
	createTickClock,
	forbidden,
	getCookie,
	getHeader,
	getHeaderOfRecord,
	HttpError,
	isAsyncFunction,
	isPromiseLike,
	isValidTenantId,
	logViolation,
	misconfigured,
	own,
	reportViolation,
	returnedPromise,
	serviceUnavailable,
	unauthorized,
} from '../src/index.js'
import { violation } from './violation-fixture.js'

describe('HTTP errors', () => {
	it('carry a generic message, the reason as cause, and headers', () => {
		const reason = new Error('signature mismatch')
		const error = unauthorized('Bearer error="invalid_token"', reason)
		expect(error).toBeInstanceOf(HttpError)
		expect(error).toMatchObject({
			statusCode: 401,
			message: 'Unauthorized',
			name: 'UnauthorizedError',
			expose: true,
			headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
			cause: reason,
		})
		expect(forbidden()).toMatchObject({ statusCode: 403, message: 'Forbidden', headers: {} })
	})

	it('exposes 503 so the error handler keeps the status and Retry-After', () => {
		expect(serviceUnavailable(4.2)).toMatchObject({
			statusCode: 503,
			expose: true,
			headers: { 'Retry-After': '5' },
		})
		expect(serviceUnavailable(0).headers['Retry-After']).toBe('1')
	})

	it('keeps configuration messages for the logs only', () => {
		expect(misconfigured('run me first')).toMatchObject({
			statusCode: 500,
			expose: false,
			message: 'run me first',
		})
	})

	it('hides a 5xx message unless told, and sends a challenge only when given one', () => {
		// A bare 500 made by a user must not show its message: only 4xx are exposed by default.
		expect(new HttpError(500, 'table tenants-prod not found').expose).toBe(false)
		expect(new HttpError(499).expose).toBe(true)
		// A 403 without a challenge has no WWW-Authenticate header at all, not an "undefined" one.
		expect(forbidden().headers).toEqual({})
		expect(forbidden(undefined, 'Bearer error="insufficient_scope"').headers).toEqual({
			'WWW-Authenticate': 'Bearer error="insufficient_scope"',
		})
	})
})

describe('header and cookie lookup', () => {
	it('finds headers case-insensitively in every event shape', () => {
		expect(getHeader({ headers: { 'X-Tenant-Id': 'a' } }, 'x-tenant-id')).toBe('a')
		expect(getHeader({ headers: { 'x-tenant-id': 'a' } }, 'x-tenant-id')).toBe('a')
		expect(getHeader({ headers: null }, 'x')).toBeUndefined()
		expect(getHeader(undefined, 'x')).toBeUndefined()
	})

	it('joins repeated values instead of picking one', () => {
		const event = {
			headers: { Authorization: 'Bearer b' },
			multiValueHeaders: { Authorization: ['Bearer a', 'Bearer b'] },
		}
		expect(getHeader(event, 'authorization')).toBe('Bearer a, Bearer b')
	})

	it('joins a header sent under several spellings, as one field', () => {
		const single = { headers: { Authorization: 'Bearer a', authorization: 'Bearer b' } }
		expect(getHeader(single, 'authorization')).toBe('Bearer a, Bearer b')
		const multi = {
			headers: { authorization: 'Bearer b' },
			multiValueHeaders: { Authorization: ['Bearer a'], AUTHORIZATION: ['Bearer b', 'Bearer c'] },
		}
		expect(getHeader(multi, 'authorization')).toBe('Bearer a, Bearer b, Bearer c')
		expect(getCookie({ headers: { Cookie: 'a=1', cookie: 'b=2' } }, 'b')).toBe('2')
		expect(getCookie({ multiValueHeaders: { Cookie: ['a=1'], COOKIE: ['b=2; c=3'] } }, 'c')).toBe(
			'3',
		)
	})

	it('takes a payload 2.0 event as API Gateway builds it: lower-case names, duplicates joined', () => {
		const event = { version: '2.0', headers: { authorization: 'Bearer a', Authorization: 'x' } }
		expect(getHeader(event, 'authorization')).toBe('Bearer a')
		expect(getHeader({ version: '2.0', headers: { 'X-Tenant-Id': 'a' } }, 'x-tenant-id')).toBe('a')
	})

	it('finds a header by a name given in any case', () => {
		expect(getHeader({ headers: { 'X-Api-Key': 'k' } }, 'X-Api-Key')).toBe('k')
		expect(getHeader({ headers: { 'x-api-key': 'k' } }, 'X-API-KEY')).toBe('k')
		expect(getHeader({ version: '2.0', headers: { 'x-api-key': 'k' } }, 'X-Api-Key')).toBe('k')
	})

	it('folds the case of ASCII letters A-Z only', () => {
		// '[' (0x5b) sits right after 'Z': folded like a letter it would name '{' (0x7b).
		expect(getHeader({ headers: { 'x-[': 'k' } }, 'x-{')).toBeUndefined()
		expect(getHeader({ headers: { 'x-@': 'k' } }, 'x-`')).toBeUndefined()
	})

	it('joins the different values of a cookie sent more than once, and reads identical copies as one', () => {
		expect(getCookie({ headers: { cookie: 's=a; t=1; s=b' } }, 's')).toBe('a, b')
		expect(getCookie({ headers: { cookie: 's=a; s="a"' } }, 's')).toBe('a')
		expect(getCookie({ cookies: ['s=a', 's=b', 's=a'] }, 's')).toBe('a, b')
		expect(getCookie({ headers: { Cookie: 's=a', cookie: 's=b' } }, 's')).toBe('a, b')
	})

	it('reads only the string lines of a multi-value entry, whatever else it holds', () => {
		const lines = ['Bearer a', Symbol('not a line'), 42, null] as unknown as string[]
		expect(getHeader({ multiValueHeaders: { authorization: lines } }, 'authorization')).toBe(
			'Bearer a',
		)
		const none = [Symbol('x')] as unknown as string[]
		const event = { multiValueHeaders: { authorization: none }, headers: { authorization: 'b' } }
		expect(getHeader(event, 'authorization')).toBe('b')
	})

	it('reads one record alone, collecting what is not a string line', () => {
		const others: unknown[] = []
		const multiValue = { 'X-Tenant-Id': ['a', 7, null], 'x-tenant-id': ['b'], other: ['c'] }
		expect(getHeaderOfRecord(multiValue, 'x-tenant-id', true, others)).toBe('a, b')
		expect(
			getHeaderOfRecord({ 'x-tenant-id': 'd', 'X-TENANT-ID': ['e'] }, 'x-tenant-id', false, others),
		).toBe('d')
		expect(getHeaderOfRecord({ 'x-tenant-id': 'f' }, 'x-tenant-id', true, others)).toBeUndefined()
		expect(others).toEqual([7, ['e'], 'f'])
		expect(getHeaderOfRecord(null, 'x-tenant-id', false, others)).toBeUndefined()
	})

	it('reads cookies from garbage without throwing', () => {
		const garbage = [5, null, { s: 'a' }, ['s=a'], 's=b'] as unknown as string[]
		expect(getCookie({ cookies: garbage }, 's')).toBe('b')
		const notAnArray = { cookies: {} as unknown as string[], headers: { cookie: 's=c' } }
		expect(getCookie(notAnArray, 's')).toBe('c')
	})

	it('matches names by ASCII case only, and only own keys', () => {
		// U+212A KELVIN SIGN lower-cases to "k" in JavaScript, but no header name holds it.
		expect(getHeader({ headers: { 'x-api-\u212Aey': 'a' } }, 'x-api-key')).toBeUndefined()
		const inherited = Object.create({ authorization: 'Bearer a' }) as Record<string, string>
		expect(getHeader({ headers: inherited }, 'authorization')).toBeUndefined()
		expect(
			getHeader({ headers: { authorization: 42 as unknown as string } }, 'authorization'),
		).toBe(undefined)
	})

	it('reads cookies from the header and from the v2 cookies array', () => {
		expect(getCookie({ headers: { Cookie: 'a=1; token="t.k"' } }, 'token')).toBe('t.k')
		expect(getCookie({ cookies: ['token=v2'] }, 'token')).toBe('v2')
		expect(getCookie({ headers: { cookie: 'xtoken=1' } }, 'token')).toBeUndefined()
	})
})

describe('tenant ids and options', () => {
	it.each(['acme', 'a', 'A-1_b', 'x'.repeat(64)])('accepts %j', (id) =>
		expect(isValidTenantId(id)).toBe(true),
	)
	it.each(['', '-a', '../x', 'a/b', 'a*', 'tenant#1', 'ａ', 'a\n', 'x'.repeat(65), 42, null])(
		'rejects %j',
		(id) => expect(isValidTenantId(id)).toBe(false),
	)

	it('anchors user patterns as a whole', () => {
		expect(anchorPattern(/[a-z]+/).test('evil/../x')).toBe(false)
		expect(anchorPattern(/^a|b$/).test('a-then-anything')).toBe(false)
		expect(anchorPattern(/[a-z]+/g).test('abc')).toBe(true)
	})

	it('drops the m flag: ^ and $ must bound the whole id, not one of its lines', () => {
		// With m, `^(?:[a-z]+)$` matches the first line of 'acme\n../globex'.
		const pattern = anchorPattern(/[a-z]+/m)
		expect(isValidTenantId('acme', pattern)).toBe(true)
		expect(isValidTenantId('acme\n../globex', pattern)).toBe(false)
	})

	it('caps an id at 256 characters whatever the pattern allows', () => {
		// The cap bounds every key, secret name and log line built from an id.
		const pattern = anchorPattern(/[a-z]+/)
		expect(isValidTenantId('a'.repeat(256), pattern)).toBe(true)
		expect(isValidTenantId('a'.repeat(257), pattern)).toBe(false)
	})

	it('rejects unknown option keys by name', () => {
		expect(() => assertKnownKeys('@tenantry/x', 'cache', { ttl: 1 }, ['ttlMs'])).toThrow(
			expect.objectContaining({ message: "@tenantry/x: option 'cache.ttl' is not a known option" }),
		)
	})
})

describe('createTickClock', () => {
	it('reads Date.now once per synchronous run and again after a microtask', async () => {
		const spy = vi.spyOn(Date, 'now').mockReturnValueOnce(1).mockReturnValueOnce(2)
		try {
			const now = createTickClock()
			expect([now(), now(), now()]).toEqual([1, 1, 1])
			await Promise.resolve()
			expect(now()).toBe(2)
			expect(spy).toHaveBeenCalledTimes(2)
		} finally {
			spy.mockRestore()
		}
	})
})

describe('violation reporting', () => {
	it('never lets a reporter change the answer', async () => {
		const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
		try {
			expect(() =>
				reportViolation(() => {
					throw new Error('sink down')
				}, violation),
			).not.toThrow()
			reportViolation(async () => Promise.reject(new Error('sink down')), violation)
			await new Promise((resolve) => setImmediate(resolve))
			expect(errors).toHaveBeenCalledTimes(2)
			expect(JSON.stringify(errors.mock.calls)).not.toContain('globex')
		} finally {
			errors.mockRestore()
		}
	})

	it('logs one JSON line by default', () => {
		const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
		try {
			logViolation(violation)
			expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toEqual({
				level: 'WARN',
				message: 'tenant isolation violation',
				...violation,
			})
		} finally {
			warn.mockRestore()
		}
	})

	it('clips attacker-chosen values before they reach a log', () => {
		expect(clip('x'.repeat(500))).toHaveLength(129)
		// Exactly the limit passes whole, with no ellipsis; a boolean reads as its text.
		expect(clip('x'.repeat(128))).toBe('x'.repeat(128))
		expect(clip(false)).toBe('false')
		expect(clip({ evil: true })).toBe('[object]')
		expect(clip(['a'])).toBe('[array]')
		expect(clip(7)).toBe('7')
		expect(clip(null)).toBeUndefined()
	})

	it('own reads own properties only', () => {
		expect(own({ a: 1 }, 'a')).toBe(1)
		expect(own({}, 'constructor')).toBeUndefined()
		expect(own(JSON.parse('{"__proto__": {"x": 1}}'), '__proto__')).toEqual({ x: 1 })
		expect(own('string', 'length')).toBeUndefined()
	})
})

describe('cookies over several header lines', () => {
	it('reads a cookie from any Cookie line, as HTTP/2 may split them', () => {
		const event = {
			headers: { Cookie: 'session=abc' },
			multiValueHeaders: { Cookie: ['theme=dark', 'session=abc'] },
		}
		expect(getCookie(event, 'session')).toBe('abc')
		expect(getCookie(event, 'theme')).toBe('dark')
	})
})

describe('functions that must answer synchronously', () => {
	it('tells async functions and thenables apart from plain ones', () => {
		expect(isAsyncFunction(async () => 1)).toBe(true)
		expect(isAsyncFunction(() => Promise.resolve(1))).toBe(false)
		expect(isAsyncFunction(undefined)).toBe(false)
		const tagged = Object.defineProperty(() => 'acme', Symbol.toStringTag, {
			value: 'AsyncFunction',
		})
		expect(isAsyncFunction(tagged)).toBe(false)
	})

	it('does not take a synchronous stand-in for an async function as async', () => {
		const options = { tenantIdFrom: async (): Promise<string> => 'acme' }
		vi.spyOn(options, 'tenantIdFrom').mockImplementation((() => 'acme') as never)
		expect(isAsyncFunction(options.tenantIdFrom)).toBe(false)
		expect(isPromiseLike(Promise.resolve(1))).toBe(true)
		// biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise is the case here
		expect(isPromiseLike({ then: () => undefined })).toBe(true)
		expect(isPromiseLike('then')).toBe(false)
		expect(isPromiseLike(null)).toBe(false)
	})

	it('answers a returned promise with a 500 naming the option, and handles its failure', async () => {
		const unhandled: unknown[] = []
		const record = (reason: unknown) => unhandled.push(reason)
		process.on('unhandledRejection', record)
		try {
			const error = returnedPromise('@tenantry/x', 'tokenSource', Promise.reject(new Error('late')))
			expect(error).toMatchObject({ statusCode: 500, expose: false })
			expect(error.message).toBe(
				'@tenantry/x: tokenSource returned a promise; it must return its answer synchronously',
			)
			await new Promise((resolve) => setTimeout(resolve, 20))
			expect(unhandled).toEqual([])
		} finally {
			process.off('unhandledRejection', record)
		}
	})
})
