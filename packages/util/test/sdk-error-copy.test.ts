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

	it.each([new Error('plain'), 'a string', undefined, null, { code: 'x' }])(
		'gives anything without a raw exchange back as it is: %s',
		(value) => {
			expect(withoutRawExchange(value)).toBe(value)
		},
	)
})
