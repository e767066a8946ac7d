import { describe, expect, it } from 'vitest'
import { createExhaustedWindows } from '../src/exhausted-windows.js'

const plan = { requests: 10, windowSec: 60 }

describe('exhausted windows', () => {
	it('remembers a tenant in the window and under the plan it was exhausted in', () => {
		const exhausted = createExhaustedWindows()
		exhausted.mark('acme', 60_000, plan)
		expect(exhausted.has('acme', 60_000, plan)).toBe(true)
		expect(exhausted.has('globex', 60_000, plan)).toBe(false)
	})

	it('forgets a tenant once its window has ended or its plan was replaced', () => {
		const exhausted = createExhaustedWindows()
		exhausted.mark('acme', 0, plan)
		expect(exhausted.has('acme', 60_000, plan)).toBe(false)
		expect(exhausted.has('acme', 0, plan)).toBe(false)
		exhausted.mark('globex', 0, plan)
		expect(exhausted.has('globex', 0, { ...plan, requests: 20 })).toBe(false)
		expect(exhausted.has('globex', 0, plan)).toBe(false)
		exhausted.mark('initech', 0, plan)
		expect(exhausted.has('initech', 0, { ...plan, windowSec: 3_600 })).toBe(false)
		expect(exhausted.has('initech', 0, plan)).toBe(false)
	})

	it('remembers a tenant under a refreshed plan of the same values (a new object)', () => {
		const exhausted = createExhaustedWindows()
		exhausted.mark('acme', 0, plan)
		expect(exhausted.has('acme', 0, { ...plan })).toBe(true)
	})

	it('keeps at most 10,000 tenants, forgetting the one marked first', () => {
		const exhausted = createExhaustedWindows()
		for (let tenant = 0; tenant <= 10_000; tenant++) exhausted.mark(`t${tenant}`, 0, plan)
		expect(exhausted.has('t0', 0, plan)).toBe(false)
		expect(exhausted.has('t1', 0, plan)).toBe(true)
		expect(exhausted.has('t10000', 0, plan)).toBe(true)
		exhausted.mark('t1', 60_000, plan)
		expect(exhausted.has('t2', 0, plan)).toBe(true)
	})
})
