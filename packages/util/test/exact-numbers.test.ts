import { describe, expect, it } from 'vitest'
import { hasOnlyExactNumbers } from '../src/index.js'

describe('hasOnlyExactNumbers', () => {
	it.each([
		['an integer beyond 2^53', '{"id":12345678901234567890}'],
		['a number parsed as Infinity', '{"n":1e400}'],
		['a negative one', '[-1e400]'],
		// Exact as written, but no integer beyond 2^53 is told from a rounded one.
		['an integer beyond 2^53 in any notation', '{"n":1e20}'],
		['one deep in arrays and objects', '{"a":[{"b":[9007199254740993]}]}'],
	])('refuses %s', (_, text) => {
		expect(hasOnlyExactNumbers(JSON.parse(text))).toBe(false)
	})

	it.each([
		['safe integers', '{"id":9007199254740991,"n":-9007199254740991}'],
		['fractions', '{"price":0.1,"rate":1e-300}'],
		['values without numbers', '{"s":"12345678901234567890","b":true,"z":null}'],
		['a bare string', '"x"'],
	])('accepts %s', (_, text) => {
		expect(hasOnlyExactNumbers(JSON.parse(text))).toBe(true)
	})

	it('walks nesting deeper than the call stack allows a recursive walk', () => {
		const depth = 200_000
		const nested = JSON.parse(`${'['.repeat(depth)}1e400${']'.repeat(depth)}`)
		expect(hasOnlyExactNumbers(nested)).toBe(false)
	})
})
