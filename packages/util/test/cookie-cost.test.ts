import { describe, expect, it, vi } from 'vitest'
import { getCookie } from '../src/index.js'

/**
 * An ALB accepts 64 KiB of request headers (16 KiB per line); a target group with multi-value
 * headers on passes every `Cookie` line to the function. Filled with copies of one cookie, each
 * with a different value, that is some 5,000 copies of a name an attacker controls.
 */
const cookieLines = (lines: number, bytesPerLine: number): string[] => {
	let counter = 0
	return Array.from({ length: lines }, () => {
		const pairs: string[] = []
		let length = 0
		while (length < bytesPerLine - 16) {
			const pair = `session=${(counter++).toString(36)}`
			pairs.push(pair)
			length += pair.length + 2
		}
		return pairs.join('; ')
	})
}

const albMultiValueEvent = (cookie: string[]) => ({
	requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:::targetgroup/t/1' } },
	httpMethod: 'GET',
	path: '/',
	multiValueHeaders: { cookie },
	multiValueQueryStringParameters: {},
})

describe('getCookie on hostile input', () => {
	it('reads a Cookie header at the ALB size limit in work linear in its copies of the name', () => {
		const lines = cookieLines(4, 16_384)
		const copies = lines.join('; ').split(';').length
		// Counts the elements every `includes` call walks through: the cost of de-duplicating.
		const includes = Array.prototype.includes
		let walked = 0
		const spy = vi.spyOn(Array.prototype, 'includes').mockImplementation(function (
			this: unknown[],
			...args: [unknown, number?]
		) {
			walked += this.length
			return includes.apply(this, args)
		})
		let value: string | undefined
		try {
			value = getCookie(albMultiValueEvent(lines), 'session')
		} finally {
			spy.mockRestore()
		}
		// Read as the malformed join of every copy, as documented...
		expect(value?.split(', ')).toHaveLength(copies)
		// ...but without comparing each copy with every copy before it (13 million comparisons
		// here; the work grows with the square of the header's size).
		expect(walked).toBeLessThan(10 * copies)
	})
})
