/** The header-carrying part shared by API Gateway v1/v2, ALB and Function URL events. */
export interface HeaderSource {
	/** `'2.0'` in HTTP API and Function URL events, whose header names are lower case. */
	version?: string
	headers?: Record<string, string | undefined> | null
	multiValueHeaders?: Record<string, string[] | undefined> | null
}

/** Whether `key` is `lowerName` in any letter case. Header names are ASCII, so no string is made. */
const namesField = (key: string, lowerName: string): boolean => {
	if (key.length !== lowerName.length) return false
	for (let index = 0; index < key.length; index++) {
		const code = key.charCodeAt(index)
		if ((code >= 65 && code <= 90 ? code + 32 : code) !== lowerName.charCodeAt(index)) return false
	}
	return true
}

/**
 * The values of every key naming the field, in any letter case, joined by `separator`:
 * `Authorization` and `authorization` are one field (RFC 9110), and a REST API event keeps
 * names as the client spelled them, so a client can send a header twice under two spellings.
 * In a multi-value record a key holds an array of lines.
 */
const joinField = (
	record: Record<string, unknown> | null | undefined,
	lowerName: string,
	separator: string,
	multiValue: boolean,
): string | undefined => {
	let joined: string | undefined
	for (const key in record) {
		if (!namesField(key, lowerName) || !Object.hasOwn(record, key)) continue
		const value = record[key]
		const text = multiValue
			? Array.isArray(value) && value.length > 0
				? value.join(separator)
				: undefined
			: typeof value === 'string'
				? value
				: undefined
		if (text !== undefined) joined = joined === undefined ? text : joined + separator + text
	}
	return joined
}

const readField = (
	event: HeaderSource | null | undefined,
	lowerName: string,
	separator: string,
): string | undefined => {
	const headers = event?.headers
	// Payload 2.0 (HTTP APIs, Function URLs) has lower-case names only, and duplicates already
	// joined: a hit needs no search for other spellings, which was a measurable share of a
	// warm request.
	if (event?.version === '2.0' && headers != null && Object.hasOwn(headers, lowerName)) {
		const value = headers[lowerName]
		return typeof value === 'string' ? value : undefined
	}
	return (
		joinField(event?.multiValueHeaders, lowerName, separator, true) ??
		joinField(headers, lowerName, separator, false)
	)
}

/**
 * Reads a header by case-insensitive name from any HTTP event shape. Repeated values
 * (`multiValueHeaders` of REST APIs and ALB, or one name under several spellings) are joined
 * with `, ` as RFC 9110 combines them, so a duplicated credential header reads as one malformed
 * value, never as the first or last copy an attacker chose.
 *
 * @param lowerName the header name in lower case
 */
export const getHeader = (
	event: HeaderSource | null | undefined,
	lowerName: string,
): string | undefined => readField(event, lowerName, ', ')

/** Reads one cookie from the `Cookie` header line(s) or the HTTP API v2 `cookies` array. */
export const getCookie = (
	event: (HeaderSource & { cookies?: string[] | null }) | null | undefined,
	name: string,
): string | undefined => {
	const pairs = event?.cookies ?? readField(event, 'cookie', '; ')?.split(';') ?? []
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
