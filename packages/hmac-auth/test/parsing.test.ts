import { describe, expect, it } from 'vitest'
import { decodeBase64Strict, decodeSignature } from '../src/encoding.js'
import { parseTimestamp, parseUnixSeconds } from '../src/timestamp.js'

describe('parseTimestamp', () => {
	it.each([
		['2026-11-23T10:00:00Z', Date.UTC(2026, 10, 23, 10, 0, 0)],
		['2026-11-23T10:00:00.5Z', Date.UTC(2026, 10, 23, 10, 0, 0, 500)],
		['2026-11-23T10:00:00.123456789Z', Date.UTC(2026, 10, 23, 10, 0, 0, 123) + 0.456789],
		['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
		['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
		['1970-01-01T00:00:00Z', 0],
		['0001-01-01T00:00:00Z', -62_135_596_800_000],
		['1795000000', 1_795_000_000_000],
		['0', 0],
		['000000000001', 1000],
	])('reads %s', (text, expected) => {
		expect(parseTimestamp(text)).toBeCloseTo(expected, 3)
	})

	it.each([
		'',
		' 1795000000',
		'1795000000 ',
		'-1',
		'+1795000000',
		'1e9',
		'1795000000.5',
		'1795000000000',
		'2026-11-23T10:00:00',
		'2026-11-23T10:00:00z',
		'2026-11-23t10:00:00Z',
		'2026-11-23 10:00:00Z',
		'2026-11-23T10:00:00+00:00',
		'2026-11-23T10:00:00.Z',
		'2026-11-23T10:00:00.1234567890Z',
		'2026-11-23T10:00Z',
		'2026-13-01T00:00:00Z',
		'2026-00-01T00:00:00Z',
		'2026-02-29T00:00:00Z',
		'1900-02-29T00:00:00Z',
		'2026-04-31T00:00:00Z',
		'2026-01-00T00:00:00Z',
		'2026-01-01T24:00:00Z',
		'2026-01-01T00:60:00Z',
		'2026-01-01T00:00:60Z',
		'２０２６-11-23T10:00:00Z',
		'Mon, 23 Nov 2026 10:00:00 GMT',
		'2026-11-23',
		// Each separator is checked, not only its position: `:` and `.` replaced by another character.
		'2026-11-23T10-00:00Z',
		'2026-11-23T10:00-00Z',
		'2026-11-23T10:00:00,500Z',
		'2026-11-23T10:00:00.5a0Z',
	])('rejects %j', (text) => {
		expect(parseTimestamp(text)).toBeUndefined()
	})

	it('reads only canonical Unix seconds for Standard Webhooks', () => {
		expect(parseUnixSeconds('1614265330')).toBe(1_614_265_330_000)
		for (const text of ['01614265330', '', '1614265330.0', '-5', '1e3', '2026-11-23T10:00:00Z'])
			expect(parseUnixSeconds(text)).toBeUndefined()
	})
})

describe('decodeSignature', () => {
	const bytes = Buffer.from('00ff10ab'.repeat(8), 'hex')

	it('reads lowercase hex only for the default scheme, any case for custom hex', () => {
		const hex = bytes.toString('hex')
		expect(Buffer.from(decodeSignature(hex, 'lowerhex', 32) ?? [])).toEqual(bytes)
		expect(decodeSignature(hex.toUpperCase(), 'lowerhex', 32)).toBeUndefined()
		expect(Buffer.from(decodeSignature(hex.toUpperCase(), 'hex', 32) ?? [])).toEqual(bytes)
		for (const bad of [
			hex.slice(2),
			`${hex}00`,
			`${hex.slice(0, -1)}g`,
			`${hex.slice(0, -1)}é`,
			` ${hex.slice(1)}`,
		])
			expect(decodeSignature(bad, 'lowerhex', 32)).toBeUndefined()
	})

	it('reads canonical padded base64 and base64url of the exact length', () => {
		const b64 = bytes.toString('base64')
		expect(Buffer.from(decodeSignature(b64, 'base64', 32) ?? [])).toEqual(bytes)
		expect(decodeSignature(b64.replace('=', ''), 'base64', 32)).toBeUndefined()
		expect(decodeSignature(b64.replace(/.=$/, 'B='), 'base64', 32)).toBeUndefined()
		expect(decodeSignature(bytes.subarray(1).toString('base64'), 'base64', 32)).toBeUndefined()
		const url = bytes.toString('base64url')
		expect(Buffer.from(decodeSignature(url, 'base64url', 32) ?? [])).toEqual(bytes)
		expect(decodeSignature(b64, 'base64url', 32)).toBeUndefined()
		// The last of 43 characters carries 2 unused bits: set, they spell the same bytes otherwise.
		const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
		const twin = `${url.slice(0, -1)}${alphabet[alphabet.indexOf(url.at(-1) ?? 'A') | 3]}`
		expect(Buffer.from(twin, 'base64url')).toEqual(bytes)
		expect(decodeSignature(twin, 'base64url', 32)).toBeUndefined()
	})

	it('decodes base64 secrets strictly, padding optional', () => {
		expect(decodeBase64Strict('AAECAw==')).toEqual(Buffer.from([0, 1, 2, 3]))
		expect(decodeBase64Strict('AAECAw')).toEqual(Buffer.from([0, 1, 2, 3]))
		for (const bad of ['AAECAx==', 'A', 'AA=A', 'AA\nAA', '****'])
			expect(decodeBase64Strict(bad)).toBeUndefined()
	})
})
