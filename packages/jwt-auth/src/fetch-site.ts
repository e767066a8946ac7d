import { getHeader, type HttpEventLike, methodOf } from '@tenantry/util'
import { CrossSiteRequestError } from './errors.js'

/**
 * The widest `Sec-Fetch-Site` a request that may change state is accepted from when the token
 * comes from a cookie: `'same-site'` refuses `cross-site`, `'same-origin'` refuses `same-site`
 * too (a sibling subdomain, such as another tenant's), `'any'` checks nothing.
 */
export type CookieFetchSite = 'same-site' | 'same-origin' | 'any'

export const cookieFetchSites: readonly CookieFetchSite[] = ['same-site', 'same-origin', 'any']

/** Refuses a forged request; returns when the request may go on. */
export type FetchSiteCheck = (event: HttpEventLike) => void

/**
 * The methods a browser lets any site send with the user's cookies anyway (links, images, a
 * top-level GET), so an API must not change state on them. Compared exactly: methods are
 * case-sensitive, and anything else (`patch`, a missing or non-string method) is checked.
 */
const safeMethods: ReadonlySet<unknown> = new Set(['GET', 'HEAD', 'OPTIONS'])

/** `none` is a request the user started (typed URL, bookmark), never one a page made. */
const sameSite: ReadonlySet<string> = new Set(['same-origin', 'same-site', 'none'])
const sameOrigin: ReadonlySet<string> = new Set(['same-origin', 'none'])

/**
 * Whether every value of the header is accepted. A browser sends exactly one lower-case value,
 * never anything else; so a repeated header (joined with `,`, from two lines or two spellings)
 * passes only when each copy does, and an unknown or empty value is refused: whoever sent it is
 * not a browser following the specification, and fails closed.
 */
const everyAccepted = (header: string, accepted: ReadonlySet<string>): boolean => {
	for (const value of header.split(',')) if (!accepted.has(value.trim().toLowerCase())) return false
	return true
}

/**
 * The CSRF check for a token read from a cookie, which a browser attaches to requests other
 * sites make too. Browsers send `Sec-Fetch-Site` on every request and no page can set it;
 * clients that are not browsers send none and are not checked (they hold the cookie themselves,
 * so nothing is forged). Without the header, an `Origin` is not compared with anything: the
 * middleware does not know the origins the API is served and called from, and the browsers that
 * omit `Sec-Fetch-Site` are older than its support everywhere, for which the cookie's
 * `SameSite` attribute is the defence. `undefined` for `'any'`: nothing to run per request.
 */
export const createFetchSiteCheck = (widest: CookieFetchSite): FetchSiteCheck | undefined => {
	if (widest === 'any') return undefined
	const accepted = widest === 'same-site' ? sameSite : sameOrigin
	return (event) => {
		if (safeMethods.has(methodOf(event))) return
		const header = getHeader(event, 'sec-fetch-site')
		if (header === undefined || accepted.has(header)) return
		if (!everyAccepted(header, accepted)) throw new CrossSiteRequestError()
	}
}
