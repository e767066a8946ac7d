import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { getCookie, getHeader } from '../src/index.js'

const name = 'x-tenant-id'

/** `name` with each ASCII letter in either case, so every spelling a REST API client can send. */
const spelling = fc
	.array(fc.boolean(), { minLength: name.length, maxLength: name.length })
	.map((upper) =>
		[...name].map((char, index) => (upper[index] ? char.toUpperCase() : char)).join(''),
	)

/** Keys that are not the header: other names, near misses and non-ASCII look-alikes. */
const otherKey = fc.oneof(
	fc.constantFrom(
		'x-tenant-i',
		'x-tenant-idd',
		'x_tenant_id',
		'x-tenant-\u0131d',
		'x-tenant-\u0130d',
	),
	fc.string({ maxLength: 12 }),
)

const value = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(42, null, undefined, ['a']))

/** What RFC 9110 reads: every value of every spelling, in the record's order, joined by ", ". */
const expected = (
	multi: Record<string, unknown> | undefined,
	headers: Record<string, unknown>,
): string | undefined => {
	const isName = (key: string) => key.length === name.length && key.toLowerCase() === name
	const multiLines = Object.entries(multi ?? {})
		.filter(([key, lines]) => isName(key) && Array.isArray(lines) && lines.length > 0)
		.map(([, lines]) => (lines as unknown[]).join(', '))
	if (multiLines.length > 0) return multiLines.join(', ')
	const single = Object.entries(headers)
		.filter(([key, text]) => isName(key) && typeof text === 'string')
		.map(([, text]) => text as string)
	return single.length > 0 ? single.join(', ') : undefined
}

const record = <T>(entry: fc.Arbitrary<T>) =>
	fc
		.array(fc.tuple(fc.oneof(spelling, otherKey), entry), { maxLength: 6 })
		.map((entries) => Object.fromEntries(entries) as Record<string, T>)

describe('getHeader, whatever the event holds', () => {
	it('reads every spelling of the name, joined, and never one copy of the client’s choosing', () => {
		fc.assert(
			fc.property(
				record(value),
				fc.option(
					record(fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), value)),
					{
						nil: undefined,
					},
				),
				(headers, multiValueHeaders) => {
					const event = { headers, multiValueHeaders } as Parameters<typeof getHeader>[0]
					expect(getHeader(event, name)).toBe(expected(multiValueHeaders, headers))
				},
			),
			{ numRuns: 2_000 },
		)
	})

	it('never throws on values that are not header records', () => {
		fc.assert(
			fc.property(fc.anything(), fc.anything(), (headers, multiValueHeaders) => {
				const event = { headers, multiValueHeaders } as Parameters<typeof getHeader>[0]
				const read = getHeader(event, name)
				expect(read === undefined || typeof read === 'string').toBe(true)
			}),
			{ numRuns: 1_000 },
		)
	})

	it('getCookie reads each distinct value of the name once, however many copies a header holds', () => {
		const pair = fc.record({
			name: fc.constantFrom('session', ' session', 'session ', 'Session', 'other', 'sess'),
			value: fc.oneof(
				fc.constantFrom('a', 'b', '"a"', '', 'x=y'),
				fc.stringMatching(/^[^;,]{0,6}$/),
			),
			copies: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 400 })),
		})
		fc.assert(
			fc.property(
				fc.array(pair, { maxLength: 6 }),
				fc.constantFrom('cookies', 'header', 'multiValueHeaders'),
				(pairs, where) => {
					const texts = pairs.flatMap(({ name, value, copies }) =>
						Array.from({ length: copies }, () => `${name}=${value}`),
					)
					const event =
						where === 'cookies'
							? { cookies: texts }
							: where === 'header'
								? { headers: { Cookie: texts.join('; ') } }
								: { multiValueHeaders: { cookie: texts.length === 0 ? [] : [texts.join('; ')] } }
					const seen: string[] = []
					for (const { name, value } of pairs) {
						if (name.trim() !== 'session') continue
						const trimmed = value.trim()
						const plain =
							trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
								? trimmed.slice(1, -1)
								: trimmed
						if (!seen.includes(plain)) seen.push(plain)
					}
					expect(getCookie(event as never, 'session')).toBe(
						seen.length === 0 ? undefined : seen.join(', '),
					)
				},
			),
			{ numRuns: 500 },
		)
	})
})
