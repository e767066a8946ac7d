import { describe, expect, it } from 'vitest'
import { gatewayEvent, gateways, spellHeaderName } from '../src/index.js'

describe('gatewayEvent', () => {
	it.each([
		['lower', 'x-tenant-id'],
		['title', 'X-Tenant-Id'],
		['upper', 'X-TENANT-ID'],
	] as const)('spells a header name in %s case', (casing, spelled) => {
		expect(spellHeaderName('x-tenant-id', casing)).toBe(spelled)
	})

	it.each(gateways)('delivers the header and body on %s', (gateway) => {
		const event = gatewayEvent(
			gateway,
			{ method: 'POST', path: '/hooks', headers: { 'x-tenant-id': 'acme' }, body: 'hello' },
			'title',
		) as {
			headers?: Record<string, string>
			multiValueHeaders?: Record<string, string[]>
			body?: string
		}
		// Only a REST API passes the name as sent; the others lower-case it.
		const name = gateway === 'rest' ? 'X-Tenant-Id' : 'x-tenant-id'
		if (gateway === 'alb-multi') expect(event.multiValueHeaders?.[name]).toEqual(['acme'])
		else expect(event.headers?.[name]).toBe('acme')
		expect(event.body).toBe('hello')
	})

	it.each(gateways)('builds a request without headers on %s', (gateway) => {
		const event = gatewayEvent(gateway, { path: '/health' }, 'upper') as {
			headers?: Record<string, string>
			multiValueHeaders?: Record<string, string[]>
		}
		expect(event.headers ?? event.multiValueHeaders).toEqual({})
	})
})
