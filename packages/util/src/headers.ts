/** The header-carrying part shared by API Gateway v1/v2, ALB and Function URL events. */
export interface HeaderSource {
	/** `'2.0'` in HTTP API and Function URL events, whose header names are lower case. */
	version?: string
	headers?: Record<string, string | undefined> | null
	multiValueHeaders?: Record<string, string[] | undefined> | null
}

const foldCase = (code: number): number => (code >= 65 && code <= 90 ? code + 32 : code)

/** Whether `key` and `name` are one header name: ASCII letters in any case, nothing else folded. */
export const namesField = (key: string, name: string): boolean => {
	if (key.length !== name.length) return false
	for (let index = 0; index < key.length; index++) {
		if (foldCase(key.charCodeAt(index)) !== foldCase(name.charCodeAt(index))) return false
	}
	return true
}

/**
 * One line added to the lines joined so far. Anything but a string is not a header line: it is
 * collected into `others` when the caller asks for it (to refuse it), absent values nowhere.
 */
const joinLine = (
	joined: string | undefined,
	line: unknown,
	separator: string,
	others: unknown[] | undefined,
): string | undefined => {
	if (typeof line === 'string') return joined === undefined ? line : joined + separator + line
	if (line !== undefined && line !== null) others?.push(line)
	return joined
}

/**
 * The values of every key naming the field, in any letter case, joined by `separator`:
 * `Authorization` and `authorization` are one field (RFC 9110), and a REST API event keeps
 * names as the client spelled them, so a client can send a header twice under two spellings.
 * In a multi-value record a key holds an array of lines.
 */
const joinField = (
	record: Record<string, unknown> | null | undefined,
	name: string,
	separator: string,
	multiValue: boolean,
	others?: unknown[],
): string | undefined => {
	let joined: string | undefined
	for (const key in record) {
		if (!namesField(key, name) || !Object.hasOwn(record, key)) continue
		const value = record[key]
		if (!multiValue) joined = joinLine(joined, value, separator, others)
		else if (Array.isArray(value))
			for (const line of value) joined = joinLine(joined, line, separator, others)
		else if (value !== undefined && value !== null) others?.push(value)
	}
	return joined
}

/**
 * One header record's value for a name, in any letter case: its string lines joined with `, `
 * as `getHeader` joins them, and whatever else the record holds under the name pushed to
 * `others`. For checks that must see every record a handler might read (`getHeader` reads
 * `headers` only when `multiValueHeaders` has no line).
 */
export const getHeaderOfRecord = (
	record: Record<string, unknown> | null | undefined,
	name: string,
	multiValue: boolean,
	others: unknown[],
): string | undefined => joinField(record, name, ', ', multiValue, others)

const readField = (
	event: HeaderSource | null | undefined,
	name: string,
	separator: string,
): string | undefined => {
	const headers = event?.headers
	// Payload 2.0 (HTTP APIs, Function URLs) has lower-case names only, and duplicates already
	// joined: a hit needs no search for other spellings, which was a measurable share of a
	// warm request.
	if (event?.version === '2.0' && headers != null && Object.hasOwn(headers, name)) {
		const value = headers[name]
		return typeof value === 'string' ? value : undefined
	}
	return (
		joinField(event?.multiValueHeaders, name, separator, true) ??
		joinField(headers, name, separator, false)
	)
}

/**
 * Reads a header by case-insensitive name from any HTTP event shape. Repeated values
 * (`multiValueHeaders` of REST APIs and ALB, or one name under several spellings) are joined
 * with `, ` as RFC 9110 combines them, so a duplicated credential header reads as one malformed
 * value, never as the first or last copy an attacker chose.
 *
 * @param name the header name, in any case; in lower case it is found without a search in
 * payload 2.0 events, whose names API Gateway lower-cases
 */
export const getHeader = (
	event: HeaderSource | null | undefined,
	name: string,
): string | undefined => readField(event, name, ', ')

/**
 * Reads one cookie from the `Cookie` header line(s) or the HTTP API v2 `cookies` array. A name
 * sent with different values (a second path, or a cookie tossed in from a sibling domain) reads
 * as those values joined with `, `, so a credential cookie reads as malformed rather than as the
 * copy the browser happened to send first; identical copies read as one.
 */
export const getCookie = (
	event: (HeaderSource & { cookies?: unknown }) | null | undefined,
	name: string,
): string | undefined => {
	const cookies = event?.cookies
	const pairs: unknown[] = Array.isArray(cookies)
		? cookies
		: (readField(event, 'cookie', '; ')?.split(';') ?? [])
	// A set, not an array searched for each copy: a header full of copies of the name (64 KiB
	// behind an ALB) would otherwise cost work growing with the square of its size.
	const values = new Set<string>()
	for (const pair of pairs) {
		if (typeof pair !== 'string') continue
		const separator = pair.indexOf('=')
		if (separator === -1 || pair.slice(0, separator).trim() !== name) continue
		values.add(unquoted(pair.slice(separator + 1).trim()))
	}
	return values.size === 0 ? undefined : [...values].join(', ')
}

const unquoted = (value: string): string =>
	value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
