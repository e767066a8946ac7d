/** The header-carrying part shared by API Gateway v1/v2, ALB and Function URL events. */
export interface HeaderSource {
	headers?: Record<string, string | undefined> | null
	multiValueHeaders?: Record<string, string[] | undefined> | null
}

const findKey = (record: Record<string, unknown>, lowerName: string): string | undefined => {
	if (Object.hasOwn(record, lowerName)) return lowerName
	for (const key of Object.keys(record)) {
		if (key.length === lowerName.length && key.toLowerCase() === lowerName) return key
	}
	return undefined
}

/**
 * Reads a header by case-insensitive name from any HTTP event shape. Repeated values
 * (`multiValueHeaders` of REST APIs and ALB) are joined with `, ` as RFC 9110 combines
 * them, so a duplicated credential header reads as one malformed value, never as the
 * first or last copy an attacker chose.
 *
 * @param lowerName the header name in lower case
 */
export const getHeader = (
	event: HeaderSource | null | undefined,
	lowerName: string,
): string | undefined => {
	const multi = event?.multiValueHeaders
	if (multi) {
		const key = findKey(multi, lowerName)
		const values = key === undefined ? undefined : multi[key]
		if (Array.isArray(values) && values.length > 0) return values.join(', ')
	}
	const headers = event?.headers
	if (!headers) return undefined
	const key = findKey(headers, lowerName)
	if (key === undefined) return undefined
	const value = headers[key]
	return typeof value === 'string' ? value : undefined
}

/**
 * The `Cookie` header lines: HTTP/2 may split cookies over several lines (REST APIs and ALB
 * pass them in `multiValueHeaders`), and they are joined with `; `, not the `, ` of other headers.
 */
const cookieLines = (event: HeaderSource | null | undefined): string[] => {
	const multi = event?.multiValueHeaders
	const key = multi ? findKey(multi, 'cookie') : undefined
	const lines = key === undefined ? undefined : multi?.[key]
	if (Array.isArray(lines) && lines.length > 0) return lines
	const single = getHeader(event, 'cookie')
	return single === undefined ? [] : [single]
}

/** Reads one cookie from the `Cookie` header line(s) or the HTTP API v2 `cookies` array. */
export const getCookie = (
	event: (HeaderSource & { cookies?: string[] | null }) | null | undefined,
	name: string,
): string | undefined => {
	const pairs = event?.cookies ?? cookieLines(event).flatMap((line) => line.split(';'))
	for (const pair of pairs) {
		const separator = pair.indexOf('=')
		if (separator === -1 || pair.slice(0, separator).trim() !== name) continue
		const value = pair.slice(separator + 1).trim()
		return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
			? value.slice(1, -1)
			: value
	}
	return undefined
}
