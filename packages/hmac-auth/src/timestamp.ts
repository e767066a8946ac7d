const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const isLeapYear = (year: number): boolean =>
	(year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
const daysFromCivil = (year: number, month: number, day: number): number => {
	const y = month <= 2 ? year - 1 : year
	const era = Math.floor(y / 400)
	const yearOfEra = y - era * 400
	const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
	const dayOfEra =
		yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
	return era * 146_097 + dayOfEra - 719_468
}

/** The number written by the ASCII digits `value[start, end)`, or -1 if any is not a digit. */
const digitsAt = (value: string, start: number, end: number): number => {
	let number = 0
	for (let index = start; index < end; index++) {
		const digit = value.charCodeAt(index) - 48
		if (digit < 0 || digit > 9) return -1
		number = number * 10 + digit
	}
	return number
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SSZ` (optionally with `.fff` fractions, always UTC `Z`) or Unix
 * seconds into epoch milliseconds. Strict on purpose, unlike `Date.parse`: no offsets, no
 * lower-case `t`/`z`, no leap seconds, no February 30th, no milliseconds-as-seconds. Hand
 * parsed: it runs on every request, and a regular expression with captures costs more
 * than the rest of the checks together.
 */
export const parseTimestamp = (value: string): number | undefined => {
	const length = value.length
	if (length <= 12) {
		const seconds = length === 0 ? -1 : digitsAt(value, 0, length)
		return seconds < 0 ? undefined : seconds * 1000
	}
	if (length < 20 || length === 21 || length > 30 || value.charCodeAt(length - 1) !== 90)
		return undefined
	// `-`, `-`, `T`, `:`, `:` at their fixed offsets in `YYYY-MM-DDTHH:MM:SS`.
	if (value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 84)
		return undefined
	if (value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return undefined
	let fractionMs = 0
	if (length > 20) {
		if (value.charCodeAt(19) !== 46) return undefined
		const fraction = digitsAt(value, 20, length - 1)
		if (fraction < 0) return undefined
		fractionMs = (fraction / 10 ** (length - 21)) * 1000
	}
	const year = digitsAt(value, 0, 4)
	const month = digitsAt(value, 5, 7)
	const day = digitsAt(value, 8, 10)
	const hour = digitsAt(value, 11, 13)
	const minute = digitsAt(value, 14, 16)
	const second = digitsAt(value, 17, 19)
	if (year < 0 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined
	if (second < 0 || second > 59 || month < 1 || month > 12) return undefined
	const monthDays = month === 2 && isLeapYear(year) ? 29 : (daysInMonth[month - 1] ?? 0)
	if (day > monthDays) return undefined
	const wholeSeconds =
		daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
	return wholeSeconds * 1000 + fractionMs
}

/** Unix seconds as Standard Webhooks writes them: digits, no sign, no leading zero. */
const canonicalSeconds = /^[1-9][0-9]{0,11}$/

export const parseUnixSeconds = (value: string): number | undefined =>
	canonicalSeconds.test(value) ? Number(value) * 1000 : undefined

/** `2026-11-23T10:00:00Z`: the timestamp format `signRequest` writes for the default scheme. */
export const formatIsoSeconds = (epochMs: number): string =>
	`${new Date(Math.floor(epochMs / 1000) * 1000).toISOString().slice(0, 19)}Z`
