import { describe, expect, it } from 'vitest'
import {
	createTenantContext,
	isValidatedTenantContext,
	TenantKeyError,
	tenantKey,
	tenantKeyPrefix,
} from '../src/index.js'

describe('tenant keys', () => {
	it('builds TENANT#<id>#<type>#<id>', () => {
		expect(tenantKey('acme', 'ITEM', '42')).toBe('TENANT#acme#ITEM#42')
		expect(tenantKeyPrefix('acme')).toBe('TENANT#acme#')
	})

	it.each([
		['acme#x', 'ITEM', '1'],
		['acme', 'IT#EM', '1'],
		['acme', 'ITEM', '1#TENANT#other'],
		['', 'ITEM', '1'],
		['acme', '', '1'],
		['../etc', 'ITEM', '1'],
		['ａcme', 'ITEM', '1'],
	])('rejects %j / %j / %j', (tenantId, type, id) => {
		expect(() => tenantKey(tenantId, type, id)).toThrow(TenantKeyError)
	})

	it('answers a key part from the request with a clean 400', () => {
		expect(() => tenantKey('acme', 'ITEM', 'x#TENANT#globex')).toThrow(
			expect.objectContaining({ statusCode: 400, message: 'Bad Request', expose: true }),
		)
	})

	it('gives a frozen context whose keys carry its prefix', () => {
		const tenant = createTenantContext('globex')
		expect(tenant).toMatchObject({ id: 'globex', keyPrefix: 'TENANT#globex#' })
		expect(tenant.key('ORDER', 'o-1')).toBe('TENANT#globex#ORDER#o-1')
		expect(Object.isFrozen(tenant)).toBe(true)
	})
})

describe('isValidatedTenantContext', () => {
	it('recognises contexts built by createTenantContext, not look-alikes', () => {
		expect(isValidatedTenantContext(createTenantContext('acme'))).toBe(true)
		expect(isValidatedTenantContext({ id: 'acme', keyPrefix: 'TENANT#acme#', key: () => '' })).toBe(
			false,
		)
		expect(isValidatedTenantContext(undefined)).toBe(false)
	})
})

// A custom middleware in plain JavaScript may pass a claim as it came: JSON gives arrays, whose
// text (`String(['acme'])` is `acme`) passes the tenant id pattern.
describe('tenant ids that are not strings', () => {
	it.each([[['acme']], [{ toString: () => 'acme' }], [42]])(
		'are refused by tenantKeyPrefix, tenantKey and createTenantContext: %j',
		(id) => {
			expect(() => tenantKeyPrefix(id as never)).toThrow(TenantKeyError)
			expect(() => tenantKey(id as never, 'ITEM', '1')).toThrow(TenantKeyError)
			expect(() => createTenantContext(id as never)).toThrow(TenantKeyError)
		},
	)
})
