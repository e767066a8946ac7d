import { createTtlCache } from '@tenantry/cache'
import { type TracerLike, traced } from '@tenantry/util'
import { JwksError, JwksInvalidError } from './errors.js'
import { type FetchedJwks, fetchJwksDocument } from './jwks-fetch.js'
import { buildKeySet, type KeySet } from './key-set.js'

export interface JwksResolverOptions {
	uri: string
	cacheMaxAgeMs: number
	cooldownMs: number
	timeoutMs: number
	maxBytes: number
	staleIfErrorMs: number
	failureBackoffMs: number
	tracer: TracerLike | undefined
	now: () => number
}

export interface JwksResolver {
	readonly uri: string
	/** The keys to use now, synchronously, if no fetch is needed. */
	current(): KeySet | undefined
	/** Fetches when needed (once for all concurrent callers); rejects with a `JwksError`. */
	load(): Promise<KeySet>
	/**
	 * Refetches for an unknown `kid`, at most once per `cooldownMs` (younger keys are returned
	 * as they are). Rejects with a `JwksError` when the refetch failed, even if old keys are
	 * still served: an unknown kid may then be a rotation we could not see.
	 */
	refresh(): Promise<KeySet>
	/** Starts a load without waiting for it (cold start). */
	prefetch(): void
	/** How many fetches have started: a key set with a higher `fetchNumber` was requested later. */
	fetchesStarted(): number
}

/**
 * One issuer's JWKS, cached through `@tenantry/cache`: fresh for `cacheMaxAgeMs`, shared by
 * concurrent requests, kept for `staleIfErrorMs` more while refreshes fail. After a failed
 * fetch nothing is fetched for `failureBackoffMs`: requests that need keys get a fast 503
 * (or the still-usable old keys) instead of each waiting out a timeout.
 */
export const createJwksResolver = (options: JwksResolverOptions): JwksResolver => {
	const { uri, cacheMaxAgeMs, cooldownMs, staleIfErrorMs, failureBackoffMs, tracer, now } = options
	const limits = { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes }
	const cache = createTtlCache<KeySet>({
		ttlMs: cacheMaxAgeMs,
		staleIfErrorMs,
		failureBackoffMs,
		maxEntries: 1,
		now,
	})
	const url = new URL(uri)
	const subsegment = `JWKS ${url.host}`
	const where = `${url.origin}${url.pathname}`

	let fetchesStarted = 0
	// The digest of the last document fetched and the keys built from it. A refresh that brings
	// the same bytes keeps those keys: nothing to import again, and tokens verified with them stay
	// in the verified-token cache, whose hits hold only while the issuer's keys are the same objects.
	let lastDigest: string | undefined
	let lastKeys: KeySet | undefined
	const keySetOf = ({ document, digest }: FetchedJwks, fetchNumber: number): KeySet => {
		if (digest === lastDigest && lastKeys !== undefined) return { ...lastKeys, fetchNumber }
		const keys = buildKeySet(document, fetchNumber)
		lastDigest = digest
		lastKeys = keys
		return keys
	}
	// Failures that did not come from the issuer (something in this process threw, such as an
	// X-Ray SDK that instruments node:http outside an invocation).
	const localFailures = new WeakSet<object>()
	const fetchWith = async (trace: TracerLike | undefined): Promise<KeySet> => {
		const fetchNumber = ++fetchesStarted
		try {
			const fetched = await traced(trace, subsegment, () => fetchJwksDocument(uri, limits))
			return keySetOf(fetched, fetchNumber)
		} catch (error) {
			let failure: JwksError
			if (error instanceof JwksError) failure = error
			else {
				failure = new JwksInvalidError('unexpected failure', error)
				localFailures.add(failure)
			}
			// Each failure is this fetch's own object: naming the JWKS on it changes no other.
			failure.jwksUri = where
			throw failure
		}
	}

	const fetchKeys = () => fetchWith(tracer)
	// The prefetch runs outside any invocation: a subsegment there has no trace to belong to
	// (X-Ray: "no subsegments are created outside the function handler"), and making it the
	// current segment would leave it current for the invocation that starts meanwhile.
	const fetchKeysUntraced = () => fetchWith(undefined)

	const load = (): Promise<KeySet> => cache.get(uri, fetchKeys)

	return {
		uri,
		current: () => cache.peek(uri),
		load,
		refresh: () => cache.get(uri, fetchKeys, { maxAgeMs: cooldownMs, allowStale: false }),
		prefetch() {
			cache.get(uri, fetchKeysUntraced).catch((error: unknown) => {
				// Outside an invocation a fetch can fail for reasons of its own (an X-Ray SDK that
				// instruments node:http and throws without a trace context): that failure leaves no
				// backoff, so the first request fetches again, inside its invocation. A failure of the
				// issuer (down, slow, 5xx, 429) keeps its backoff: the next requests get a fast 503.
				const local = typeof error === 'object' && error !== null && localFailures.has(error)
				if (local && cache.peek(uri) === undefined) cache.delete(uri)
			})
		},
		fetchesStarted: () => fetchesStarted,
	}
}
