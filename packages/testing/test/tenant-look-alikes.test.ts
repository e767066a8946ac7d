import { describe, expect, it } from 'vitest'
import { tenantLookAlikes } from '../src/index.js'

describe('tenantLookAlikes', () => {
	it('lists each kind of near miss of a tenant id once, never the id itself', () => {
		expect(tenantLookAlikes('acme')).toEqual([
			'ACME',
			'Acme',
			'acme ',
			' acme',
			'acme\t',
			'acme#',
			'acme/..',
			'..',
			'acm%65',
			'\u0430cme',
			'acme\u0000',
		])
	})

	it('leaves out what an id cannot be made to look like', () => {
		const lookAlikes = tenantLookAlikes('t1')
		expect(lookAlikes).not.toContain('t1')
		expect(new Set(lookAlikes).size).toBe(lookAlikes.length)
		// No letter with a Cyrillic twin; the capitalised and upper-case forms are one.
		expect(lookAlikes.filter((text) => /^t1$/i.test(text))).toEqual(['T1'])
	})
})
