import { describe, expect, it } from 'vitest'
import { withoutRawExchange } from '../src/index.js'

class InternalServerError extends Error {
	override name = 'InternalServerError'
	$metadata = { httpStatusCode: 500, attempts: 3 }
}

/** An SDK error as the SDK builds it: `$response` neither enumerable nor deletable. */
const sdkError = () => {
	const error = new InternalServerError('Internal server error')
	Object.defineProperty(error, '$response', {
		value: { headers: { 'x-amz-security-token': 'token' } },
	})
	return error
}

describe('withoutRawExchange', () => {
	it('copies an SDK error without $response, keeping its class, message, stack and metadata', () => {
		const error = sdkError()
		const copy = withoutRawExchange(error) as InternalServerError
		expect(Object.hasOwn(copy, '$response')).toBe(false)
		expect(copy).toBeInstanceOf(InternalServerError)
		expect(copy.name).toBe('InternalServerError')
		expect(copy.message).toBe('Internal server error')
		expect(copy.stack).toBe(error.stack)
		expect(copy.$metadata).toEqual({ httpStatusCode: 500, attempts: 3 })
		// The SDK's own error is left as it is.
		expect(Object.hasOwn(error, '$response')).toBe(true)
	})

	it('gives a copy of a raw exchange on an object without a stack no stack of its own', () => {
		// A foreign error-like object: the copy must not gain a `stack` it never had.
		const error = { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }
		Object.defineProperty(error, '$responseBodyText', { value: '<Credentials>' })
		const copy = withoutRawExchange(error) as typeof error
		expect(Object.hasOwn(copy, '$responseBodyText')).toBe(false)
		expect(Object.hasOwn(copy, 'stack')).toBe(false)
		expect(copy).toEqual({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })
	})

	it.each([new Error('plain'), 'a string', undefined, null, { code: 'x' }])(
		'gives anything without a raw exchange back as it is: %s',
		(value) => {
			expect(withoutRawExchange(value)).toBe(value)
		},
	)
})
