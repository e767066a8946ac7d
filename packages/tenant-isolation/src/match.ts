import { getHeaderOfRecord, HttpError, type HttpEventLike, own } from '@tenantry/util'
import { packageName } from './errors.js'
import { declaresFormBody } from './form-body.js'
import { isAbsent } from './read.js'

export type MatchLocation = 'pathParameter' | 'header' | 'query' | 'bodyField'

/** Where the request itself may name a tenant; each one present must be the request's tenant. */
export interface MatchOptions {
	/** Path parameter name, e.g. `tenantId` for `/tenants/{tenantId}/orders`. */
	pathParameter?: string | undefined
	/** Header name (any case). */
	header?: string | undefined
	/** Query string parameter name; every value of a repeated parameter is checked. */
	query?: string | undefined
	/**
	 * Dotted path into the JSON body parsed by `@middy/http-json-body-parser`, e.g.
	 * `order.tenantId`. That parser must run before tenant isolation.
	 */
	bodyField?: string | undefined
	/** Locations that must name the tenant (`true`: all configured ones). Default: none. */
	required?: boolean | readonly MatchLocation[] | undefined
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
			`${packageName}: match.bodyField needs the parsed JSON body, and the body is unparsed text opening with { or [ (or a JSON string holding such text); the client must send a JSON object as application/json, and @middy/http-json-body-parser must run before tenantIsolation()`,
		),
	})

/**
 * A form (`application/x-www-form-urlencoded`, `multipart/form-data`) that is still text: no
 * form parser ran before tenantIsolation, and one that runs after, or the handler, would read
 * its `tenantId` field unchecked.
 */
const formNotParsed = () =>
	new HttpError(415, undefined, {
		cause: new TypeError(
			`${packageName}: match.bodyField needs the parsed body, and the body is an unparsed form (application/x-www-form-urlencoded or multipart/form-data); a form body parser must run before tenantIsolation(), or the client must send JSON`,
		),
	})

/**
 * A string body is either a body the JSON parser never saw, or one it parsed to a string (a
 * JSON string literal). Only a string holding a JSON object or array can name a tenant (a
 * dotted path indexes arrays too): one that opens like either is refused, any other string
 * names no tenant. It is not parsed to find out whether the rest is JSON: nothing would read
 * that parse, and 9 MB of `[` cost it 4.5 s (a `[` that is not JSON is refused as well). A body
 * still base64-encoded (REST APIs with binary media types encode JSON too) was never parsed, so
 * it is read decoded.
 */
const isUnparsedJsonContainer = (body: string, base64: boolean): boolean => {
	const text = base64 ? Buffer.from(body, 'base64').toString('utf8') : body
	const start = text.trimStart()
	return start.startsWith('{') || start.startsWith('[')
}

const readBodyField = (event: HttpEventLike, path: readonly string[]): readonly unknown[] => {
	const { body } = event
	if (isAbsent(body) || body === '') return none
	if (body instanceof Uint8Array) throw bodyNotParsed()
	if (typeof body === 'string') {
		if (isUnparsedJsonContainer(body, event.isBase64Encoded === true)) throw bodyNotParsed()
		if (declaresFormBody(event)) throw formNotParsed()
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
 * Payload 2.0 (HTTP APIs, Function URLs) has one record, lower-case names only and duplicates
 * already joined: a string under the lower-case name is the whole answer, found without the
 * search for other spellings that is a measurable share of a warm request.
 */
const payloadV2Header = (event: HttpEventLike, lowerName: string): string | undefined => {
	if (event.version !== '2.0' || !isAbsent(event.multiValueHeaders)) return undefined
	const value = own(event.headers, lowerName)
	return typeof value === 'string' ? value : undefined
}

/**
 * Both records, read apart, every spelling of the name in each: a handler may read either
 * record, so each must name the tenant. API Gateway and ALB events agree with themselves; a
 * hand-made one (a direct invocation) need not, and reading `headers` only when
 * `multiValueHeaders` has no string line (as `getHeader` does) let `headers` name another
 * tenant unseen, and a non-string line next to a string one pass as naming nothing.
 */
const readHeader = (event: HttpEventLike, lowerName: string): readonly unknown[] => {
	const fast = payloadV2Header(event, lowerName)
	if (fast !== undefined) return [fast]
	const values: unknown[] = []
	const multiValue = getHeaderOfRecord(event.multiValueHeaders, lowerName, true, values)
	const single = getHeaderOfRecord(event.headers, lowerName, false, values)
	if (multiValue !== undefined) values.push(multiValue)
	if (single !== undefined) values.push(single)
	return values.length === 0 ? none : values
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
