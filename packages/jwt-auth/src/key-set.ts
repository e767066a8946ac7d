import { isPlainObject } from '@tenantry/util'
import { JwksInvalidError } from './errors.js'
import { importJwk, type KeyEntry } from './jwk-keys.js'

/** A loaded JWKS: the usable keys, indexed once, and why the others were refused. */
export interface KeySet {
	/**
	 * Which of its resolver's fetches produced it (1 for the first). Counted when a fetch starts,
	 * never read from a clock: a set whose number is above the count taken at some moment was
	 * requested from the issuer after that moment.
	 */
	readonly fetchNumber: number
	/**
	 * Usable keys by `kid`; a `Map`, so a `kid` of `__proto__` finds nothing. One object for every
	 * fetch that brought the same document: the verified-token cache tells its keys by it.
	 */
	readonly byKid: ReadonlyMap<string, readonly KeyEntry[]>
	readonly usable: readonly KeyEntry[]
	/** `kid` -> why, for kids that have no usable key at all. */
	readonly refused: ReadonlyMap<string, string>
}

/** Builds a key set from a parsed JWKS document; throws when it is not `{ keys: [...] }`. */
export const buildKeySet = (document: unknown, fetchNumber: number): KeySet => {
	if (!isPlainObject(document) || !Array.isArray(document.keys))
		throw new JwksInvalidError('expected a JSON object with a keys array')
	const byKid = new Map<string, KeyEntry[]>()
	const usable: KeyEntry[] = []
	const refused = new Map<string, string>()
	for (const jwk of document.keys) {
		const outcome = importJwk(jwk)
		if (!outcome.usable) {
			if (outcome.kid !== undefined) refused.set(outcome.kid, outcome.why)
			continue
		}
		const { entry } = outcome
		usable.push(entry)
		if (entry.kid === undefined) continue
		const sameKid = byKid.get(entry.kid)
		if (sameKid) sameKid.push(entry)
		else byKid.set(entry.kid, [entry])
	}
	for (const kid of byKid.keys()) refused.delete(kid)
	return { fetchNumber, byKid, usable, refused }
}
