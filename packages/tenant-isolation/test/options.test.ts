import { describe, expect, it } from 'vitest'
import { defaults, type TenantIsolationOptions, tenantIsolation, tenantKey } from '../src/index.js'

const bad = (options: unknown) => () => tenantIsolation(options as TenantIsolationOptions)

describe('factory-time validation', () => {
	it.each([
		['unknown option', { tenantIDPattern: /a/ }, 'tenantIDPattern'],
		['unknown match option', { match: { params: 'x' } }, 'match.params'],
		['unknown source', { sources: ['cookie'] }, 'sources'],
		['repeated source', { sources: ['auth', 'auth'] }, 'sources'],
		['no establishing source', { sources: ['lambdaContext'] }, 'sources'],
		['empty sources', { sources: [] }, 'sources'],
		['empty claim', { claim: '' }, 'claim'],
		['authorizerField not a string', { authorizerField: 3 }, 'authorizerField'],
		['pattern as string', { tenantIdPattern: '^a$' }, 'tenantIdPattern'],
		['resolve not a function', { resolve: 'x' }, 'resolve'],
		['onViolation not a function', { onViolation: true }, 'onViolation'],
		['challenge with a newline', { challenge: 'Bearer\r\nX: y' }, 'challenge'],
		['match not an object', { match: 'tenantId' }, 'match'],
		['bad header name', { match: { header: 'x tenant' } }, 'match.header'],
		['prototype body path', { match: { bodyField: 'a.__proto__' } }, 'match.bodyField'],
		['empty body path segment', { match: { bodyField: 'a..b' } }, 'match.bodyField'],
		[
			'required location not configured',
			{ match: { header: 'x', required: ['query'] } },
			'match.required',
		],
		['options not an object', 'strict', 'options'],
	])('%s', (_name, options, option) => {
		expect(bad(options)).toThrow(TypeError)
		expect(bad(options)).toThrow(
			expect.objectContaining({ cause: { package: '@tenantry/tenant-isolation', option } }),
		)
	})

	it('accepts an empty options object and an explicit source list with resolve', () => {
		expect(tenantIsolation().before).toBeTypeOf('function')
		expect(tenantIsolation({ sources: [], resolve: () => 'a' }).before).toBeTypeOf('function')
	})

	it('lists every option in defaults', () => {
		expect(Object.keys(defaults).sort()).toEqual(
			[
				'authorizerField',
				'challenge',
				'claim',
				'match',
				'onViolation',
				'resolve',
				'sources',
				'tenantIdPattern',
				'tracer',
			].sort(),
		)
	})

	it('re-exports the shared tenantKey', () => {
		expect(tenantKey('acme', 'order', '42')).toBe('TENANT#acme#order#42')
		expect(() => tenantKey('acme', 'order#x', '42')).toThrow(
			expect.objectContaining({ name: 'TenantKeyError', statusCode: 400 }),
		)
	})
})
