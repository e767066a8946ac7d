import { getHeader, type HttpEventLike } from '@tenantry/util'

/**
 * Media types whose body is a set of named fields, which a parser run later
 * (`@middy/http-urlencode-body-parser`, `@middy/http-multipart-body-parser`, or the handler's
 * own `URLSearchParams`) turns into the object a handler reads `tenantId` from. Any entry of a
 * repeated `Content-Type` counts: that parser may read either copy.
 */
const formContentType =
	/(?:^|,)\s*(?:application\/x-www-form-urlencoded|multipart\/form-data)\s*(?:[;,]|$)/i

/**
 * Whether the request declares a form body. Such a body, still text when tenantIsolation runs,
 * names its fields to whatever parses it after: its tenant cannot be checked here, so it must
 * be refused like unparsed JSON rather than read as naming none.
 */
export const declaresFormBody = (event: HttpEventLike): boolean => {
	const contentType = getHeader(event, 'content-type')
	return contentType !== undefined && formContentType.test(contentType)
}
