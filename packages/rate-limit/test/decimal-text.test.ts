import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decimalText } from '../src/decimal-text.js'

describe('decimalText', () => {
	it('writes what String writes, at every group boundary', () => {
		const values = [0, 7, 999, 1_000, 1_001, 999_999, 1_000_000, 1_000_001, 2 ** 31, 2 ** 53 - 1]
		expect(values.map(decimalText)).toEqual(values.map(String))
	})

	it('writes what String writes for any safe count, in any order', () => {
		fc.assert(
			fc.property(fc.array(fc.maxSafeNat(), { minLength: 1, maxLength: 20 }), (values) => {
				expect(values.map(decimalText)).toEqual(values.map(String))
			}),
		)
	})

	it('writes what String writes for fractions, NaN, negatives and numbers past 2 ** 53', () => {
		const values = [
			0.5,
			999.5,
			1_000.5,
			Number.NaN,
			-1,
			-1_000,
			2 ** 53,
			1e21,
			Number.POSITIVE_INFINITY,
		]
		expect(values.map(decimalText)).toEqual(values.map(String))
	})

	it('writes a count that steps down through thousands as String does', () => {
		const counts = Array.from({ length: 2_500 }, (_, index) => 1_000_001_200 - index)
		expect(counts.map(decimalText)).toEqual(counts.map(String))
	})
})
