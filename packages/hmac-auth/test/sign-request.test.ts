import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signRequest } from '../src/index.js'

describe('signRequest', () => {
	it('signs timestamp, newline, body with lowercase hex HMAC-SHA256 for the default scheme', () => {
		const timestamp = '2026-11-23T10:00:00Z'
		const headers = signRequest({ secret: 'k', body: '{"a":1}', timestamp, tenantId: 'acme' })
		expect(headers).toEqual({
			'x-tenant-id': 'acme',
			'x-timestamp': timestamp,
			'x-signature': createHmac('sha256', 'k').update(`${timestamp}\n{"a":1}`).digest('hex'),
		})
	})

	it('writes Dates as ISO-8601 UTC seconds and numbers as Unix seconds', () => {
		const date = new Date(Date.UTC(2026, 10, 23, 10, 0, 0, 999))
		expect(signRequest({ secret: 'k', body: '', timestamp: date })['x-timestamp']).toBe(
			'2026-11-23T10:00:00Z',
		)
		expect(signRequest({ secret: 'k', body: '', timestamp: 1_795_000_000.7 })['x-timestamp']).toBe(
			'1795000000',
		)
		expect(signRequest({ secret: 'k', body: '' })['x-timestamp']).toMatch(
			/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
		)
	})

	it('signs Buffer bodies byte for byte', () => {
		const body = Buffer.from([0xff, 0, 0xfe])
		const headers = signRequest({ secret: 'k', body, timestamp: '1' })
		expect(headers['x-signature']).toBe(
			createHmac('sha256', 'k').update('1\n').update(body).digest('hex'),
		)
	})

	it('signs Standard Webhooks with a generated message id', () => {
		const secret = `whsec_${Buffer.alloc(24, 9).toString('base64')}`
		const headers = signRequest({
			scheme: 'standard-webhooks',
			secret,
			body: 'x',
			timestamp: 1_700_000_000,
		})
		expect(headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]{24}$/)
		expect(headers['webhook-timestamp']).toBe('1700000000')
		const expected = createHmac('sha256', Buffer.alloc(24, 9))
			.update(`${headers['webhook-id']}.1700000000.x`)
			.digest('base64')
		expect(headers['webhook-signature']).toBe(`v1,${expected}`)
	})

	it.each([
		[{ secret: '', body: '' }, 'signRequest.secret'],
		[{ secret: 'k', body: 5 }, 'signRequest.body'],
		[{ secret: 'k', body: '', timestamp: 'yesterday' }, 'signRequest.timestamp'],
		[{ secret: 'k', body: '', timestamp: new Date(Number.NaN) }, 'signRequest.timestamp'],
		[{ secret: 'k', body: '', id: 'x' }, 'signRequest.id'],
		[{ secret: 'k', body: '', tenantId: '../x' }, 'signRequest.tenantId'],
		[{ secret: 'k', body: '', scheme: 'stripe' }, 'signRequest.scheme'],
		[{ secret: 'k', body: '', extra: 1 }, 'signRequest.extra'],
		[{ secret: 'whsec_', body: '', scheme: 'standard-webhooks' }, 'signRequest.secret'],
		[
			{
				secret: Buffer.from(`whsec_${Buffer.alloc(24).toString('base64')}`),
				body: '',
				scheme: 'standard-webhooks',
			},
			'signRequest.secret',
		],
		[
			{
				secret: 'whsec_AAAA',
				body: '',
				scheme: 'standard-webhooks',
				timestamp: '2026-11-23T10:00:00Z',
			},
			'signRequest.secret',
		],
		[
			{
				secret: `whsec_${Buffer.alloc(24).toString('base64')}`,
				body: '',
				scheme: 'standard-webhooks',
				id: 'a b',
			},
			'signRequest.id',
		],
		[
			{
				secret: `whsec_${Buffer.alloc(24).toString('base64')}`,
				body: '',
				scheme: 'standard-webhooks',
				timestamp: '2026-11-23T10:00:00Z',
			},
			'signRequest.timestamp',
		],
	])('rejects bad input with a TypeError naming it (%#)', (options, option) => {
		expect(() => signRequest(options as never)).toThrow(TypeError)
		expect(() => signRequest(options as never)).toThrow(`'${option}'`)
	})
})
