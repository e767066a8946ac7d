import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { failureName, isRetryAfterSec, maxRetryAfterSec, serviceUnavailable } from '../src/index.js'

/** RFC 9110 §10.2.3: `Retry-After` is an HTTP-date or delay-seconds, `1*DIGIT`. */
const delaySeconds = /^[0-9]+$/

describe('serviceUnavailable', () => {
	it.each([
		[Number.NaN, '1'],
		[Number.POSITIVE_INFINITY, String(maxRetryAfterSec)],
		[Number.NEGATIVE_INFINITY, '1'],
		[1e21, String(maxRetryAfterSec)],
		[maxRetryAfterSec + 0.5, String(maxRetryAfterSec)],
	])('answers %s seconds with a Retry-After clients can read: %s', (seconds, header) => {
		expect(serviceUnavailable(seconds).headers['Retry-After']).toBe(header)
	})

	it('always sends whole delay-seconds from 1 to a day, whatever number it is given', () => {
		fc.assert(
			fc.property(fc.double(), (seconds) => {
				const header = serviceUnavailable(seconds).headers['Retry-After'] ?? ''
				expect(header).toMatch(delaySeconds)
				expect(Number(header)).toBeGreaterThanOrEqual(1)
				expect(Number(header)).toBeLessThanOrEqual(maxRetryAfterSec)
			}),
			{ numRuns: 500 },
		)
	})
})

describe('isRetryAfterSec', () => {
	it.each([
		[1, true],
		[maxRetryAfterSec, true],
		[maxRetryAfterSec + 1, false],
		[0, false],
		[1.5, false],
	])('reads %s as a Retry-After option: %s', (value, accepted) => {
		// A day is the longest wait an option may set; one second more is a misconfiguration.
		expect(isRetryAfterSec(value)).toBe(accepted)
	})
})

describe('failureName', () => {
	it('names a thrown non-Error by its type, never by a name it carries', () => {
		// A rejected value is anything: a plain object's `name` may be request data.
		expect(failureName({ name: 'Bearer eyJhbGciOi.secret' })).toBe('object')
		expect(failureName(Object.assign(new Error('x'), { name: 42 }))).toBe('object')
		expect(failureName(new RangeError('x'))).toBe('RangeError')
	})
})
