import { getHeader, HttpError, type HttpEventLike, namesField, own } from '@tenantry/util'
import { packageName } from './errors.js'
import { isAbsent } from './read.js'

export type MatchLocation = 'pathParameter' | 'header' | 'query' | 'bodyField'

/** Where the request itself may name a tenant; each one present must be the request's tenant. */
export interface MatchOptions {
	/** Path parameter name, e.g. `tenantId` for `/tenants/{tenantId}/orders`. */
	pathParameter?: string
	/** Header name (any case). */
	header?: string
	/** Query string parameter name; every value of a repeated parameter is checked. */
	query?: string
	/**
	 * Dotted path into the JSON body parsed by `@middy/http-json-body-parser`, e.g.
	 * `order.tenantId`. That parser must run before tenant isolation.
	 */
	bodyField?: string
	/** Locations that must name the tenant (`true`: all configured ones). Default: none. */
	required?: boolean | readonly MatchLocation[]
}

export const matchLocations: readonly MatchLocation[] = [
	'pathParameter',
	'header',
	'query',
	'bodyField',
]

export interface MatchReader {
	readonly location: MatchLocation
	/** The name a violation reports as its `source`. */
	readonly source: 'pathParameter' | 'header' | 'query' | 'body'
	readonly required: boolean
	/** Every value the request gives at this location; empty when it names none. */
	read(event: HttpEventLike): readonly unknown[]
}

const none: readonly unknown[] = Object.freeze([])

const present = (value: unknown): readonly unknown[] => (isAbsent(value) ? none : [value])

/**
 * A body that holds a JSON object but was never parsed: the client did not send it as JSON,
 * or `@middy/http-json-body-parser` does not run before tenantIsolation(). Either way its
 * tenant cannot be checked, so it is refused (415) rather than read as naming none.
 */
const bodyNotParsed = () =>
	new HttpError(415, undefined, {
		cause: new TypeError(
			`${packageName}: match.bodyField needs the parsed JSON body; the client must send application/json, and @middy/http-json-body-parser must run before tenantIsolation()`,
		),
	})

/**
 * A string body is either a body the JSON parser never saw, or one it parsed to a string (a
 * JSON string literal). Only a string holding a JSON object or array can name a tenant (a
 * dotted path indexes arrays too): that one is refused, any other string names no tenant. A
 * body still base64-encoded (REST APIs with binary media types encode JSON too) was never
 * parsed, so it is read decoded.
 */
const isUnparsedJsonContainer = (body: string, base64: boolean): boolean => {
	const text = base64 ? Buffer.from(body, 'base64').toString('utf8') : body
	const start = text.trimStart()
	if (!start.startsWith('{') && !start.startsWith('[')) return false
	try {
		const parsed: unknown = JSON.parse(text)
		return typeof parsed === 'object' && parsed !== null
	} catch {
		return false
	}
}

const readBodyField = (event: HttpEventLike, path: readonly string[]): readonly unknown[] => {
	const { body } = event
	if (isAbsent(body) || body === '') return none
	if (body instanceof Uint8Array) throw bodyNotParsed()
	if (typeof body === 'string') {
		if (isUnparsedJsonContainer(body, event.isBase64Encoded === true)) throw bodyNotParsed()
		return none
	}
	let value: unknown = body
	for (const segment of path) {
		value = own(value, segment)
		if (isAbsent(value)) return none
	}
	return [value]
}

/** `application/x-www-form-urlencoded` decoding; text that does not decode stays as sent. */
const formDecoded = (text: string): string => {
	try {
		return decodeURIComponent(text.replaceAll('+', ' '))
	} catch {
		return text
	}
}

/**
 * An ALB passes query parameters as sent, names and values still URL-encoded (the handler must
 * decode them): every parameter whose decoded name is `name` is read, its values decoded.
 */
const readAlbQuery = (event: HttpEventLike, name: string): readonly unknown[] => {
	const values: unknown[] = []
	for (const record of [event.multiValueQueryStringParameters, event.queryStringParameters]) {
		if (typeof record !== 'object' || record === null) continue
		for (const [key, value] of Object.entries(record)) {
			if (formDecoded(key) !== name) continue
			for (const each of Array.isArray(value) ? value : [value]) {
				if (!isAbsent(each)) values.push(typeof each === 'string' ? formDecoded(each) : each)
			}
		}
	}
	return values
}

/**
 * getHeader reads string lines only; a header that is there with anything else (an array, a
 * number) is not "no header": the first such value, so that it is refused like any non-string.
 */
const nonStringHeader = (event: HttpEventLike, lowerName: string): unknown => {
	for (const [record, multiValue] of [
		[event.multiValueHeaders, true],
		[event.headers, false],
	] as const) {
		if (typeof record !== 'object' || record === null) continue
		for (const key of Object.keys(record)) {
			if (!namesField(key, lowerName)) continue
			const value: unknown = (record as Record<string, unknown>)[key]
			const lines = multiValue && Array.isArray(value) ? value : [value]
			for (const line of lines) if (!isAbsent(line) && typeof line !== 'string') return line
		}
	}
	return undefined
}

const readHeader = (event: HttpEventLike, lowerName: string): readonly unknown[] => {
	const value = getHeader(event, lowerName)
	return present(value ?? nonStringHeader(event, lowerName))
}

const isAlbEvent = (event: HttpEventLike): boolean =>
	own(own(event, 'requestContext'), 'elb') !== undefined

const readQuery = (event: HttpEventLike, name: string): readonly unknown[] => {
	if (isAlbEvent(event)) return readAlbQuery(event, name)
	const repeated = own(event.multiValueQueryStringParameters, name)
	const single = own(event.queryStringParameters, name)
	const values = Array.isArray(repeated) ? [...repeated, single] : [repeated, single]
	return values.filter((value) => !isAbsent(value))
}

/** Builds the readers once, at factory time, for the locations configured. */
export const createMatchReaders = (match: MatchOptions): MatchReader[] => {
	const isRequired = (location: MatchLocation): boolean =>
		match.required === true || (Array.isArray(match.required) && match.required.includes(location))
	const readers: MatchReader[] = []
	const { pathParameter, header, query, bodyField } = match
	if (pathParameter !== undefined) {
		readers.push({
			location: 'pathParameter',
			source: 'pathParameter',
			required: isRequired('pathParameter'),
			read: (event) => present(own(event.pathParameters, pathParameter)),
		})
	}
	if (header !== undefined) {
		const lowerName = header.toLowerCase()
		readers.push({
			location: 'header',
			source: 'header',
			required: isRequired('header'),
			read: (event) => readHeader(event, lowerName),
		})
	}
	if (query !== undefined) {
		readers.push({
			location: 'query',
			source: 'query',
			required: isRequired('query'),
			read: (event) => readQuery(event, query),
		})
	}
	if (bodyField !== undefined) {
		const path = bodyField.split('.')
		readers.push({
			location: 'bodyField',
			source: 'body',
			required: isRequired('bodyField'),
			read: (event) => readBodyField(event, path),
		})
	}
	return readers
}
