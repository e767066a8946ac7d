import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { windowClock } from '../src/window.js'

const direct = (now: number, windowSec: number) => {
	const length = windowSec * 1000
	const start = Math.floor(now / length) * length
	const end = start + length
	return { start, end, resetSec: Math.max(1, Math.ceil((end - now) / 1000)) }
}

describe('windowClock', () => {
	it('answers like a fresh computation whatever the order of instants', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 86_400 }),
				fc.integer({ min: 0, max: 4_000_000_000_000 }),
				fc.array(fc.integer({ min: -5_000, max: 5_000 }), { maxLength: 60 }),
				(windowSec, start, steps) => {
					const windowAt = windowClock(windowSec)
					let now = start
					expect(windowAt(now)).toEqual(direct(now, windowSec))
					for (const step of steps) {
						now = Math.max(0, now + step)
						expect(windowAt(now)).toEqual(direct(now, windowSec))
					}
				},
			),
		)
	})

	it('ticks at whole seconds before the end and rolls over at the end', () => {
		const windowAt = windowClock(60)
		expect(windowAt(0)).toEqual({ start: 0, end: 60_000, resetSec: 60 })
		expect(windowAt(999)).toEqual({ start: 0, end: 60_000, resetSec: 60 })
		expect(windowAt(1_000)).toEqual({ start: 0, end: 60_000, resetSec: 59 })
		expect(windowAt(59_999)).toEqual({ start: 0, end: 60_000, resetSec: 1 })
		expect(windowAt(60_000)).toEqual({ start: 60_000, end: 120_000, resetSec: 60 })
		expect(windowAt(30_500)).toEqual({ start: 0, end: 60_000, resetSec: 30 })
	})

	it('reuses the answer within a second', () => {
		const windowAt = windowClock(60)
		expect(windowAt(10_100)).toBe(windowAt(10_900))
		expect(windowAt(10_100)).not.toBe(windowAt(11_000))
	})
})
