import { describe, expect, it } from 'vitest'
import { sentBody } from '../src/sent-body.js'

const encoded = (text: string) => ({ body: new TextEncoder().encode(text) })

describe('sentBody', () => {
	it('reads the body as JSON, whether string or bytes', () => {
		const text = '{"Key":{"pk":{"S":"TENANT#acme#1"}}}'
		expect(sentBody({ body: text })).toEqual({ Key: { pk: { S: 'TENANT#acme#1' } } })
		expect(sentBody(encoded(text))).toEqual({ Key: { pk: { S: 'TENANT#acme#1' } } })
	})

	it('reads a body however a serializer spaces or escapes it', () => {
		const text =
			'{ "Key" : { "pk" : { "S" : "TENANT#acme#\\u0041\\/\\"a:b\\\\" } },\n"Items": [ {"a": 1}, [], {} ] }'
		expect(sentBody({ body: text })).toEqual({
			Key: { pk: { S: 'TENANT#acme#A/"a:b\\' } },
			Items: [{ a: 1 }, [], {}],
		})
	})

	it.each([
		['at the top', '{"Key":{"pk":{"S":"TENANT#acme#1"}},"Key":{"pk":{"S":"TENANT#globex#1"}}}'],
		['nested', '{"Key":{"pk":{"S":"TENANT#acme#1"},"pk":{"S":"TENANT#globex#1"}}}'],
		['in a list', '{"L":[{"S":"a"},{"S":"b","S":"c"}]}'],
		['behind an escaped quote', '{"a":"x\\"","b":1,"b":2}'],
	])('reads a body that names a member twice (%s) as nothing', (_, text) => {
		expect(sentBody({ body: text })).toBeUndefined()
	})

	it('counts own members only: a property added to Object.prototype hides no duplicate', () => {
		Object.defineProperty(Object.prototype, 'polluted', {
			value: 1,
			enumerable: true,
			writable: true,
			configurable: true,
		})
		try {
			// Counted with it, the one object's member would make up for the duplicate.
			expect(sentBody({ body: '{"pk":{"S":"a"},"pk":{"S":"b"}}' })).toBeUndefined()
		} finally {
			delete (Object.prototype as { polluted?: number }).polluted
		}
	})

	it('reads what is not UTF-8 JSON as nothing', () => {
		expect(sentBody({ body: '{"Key":' })).toBeUndefined()
		expect(
			sentBody({ body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }),
		).toBeUndefined()
		expect(sentBody({ body: undefined })).toBeUndefined()
		expect(sentBody({})).toBeUndefined()
		expect(sentBody(undefined)).toBeUndefined()
	})
})
