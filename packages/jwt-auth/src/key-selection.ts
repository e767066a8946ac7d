import { AmbiguousKeyError, KeyAlgorithmMismatchError, RejectedKeyError } from './errors.js'
import type { KeyEntry } from './jwk-keys.js'
import type { KeySet } from './key-set.js'
import type { SignatureVerifier } from './signature.js'

/**
 * The one verifier for a token's `kid` and `alg`, `undefined` when the key set has no key
 * for it (the caller may refetch once, under the cooldown), or an error when the choice is
 * definite: the kid names a key of another type or `alg`, or a key refused at load.
 *
 * Without `kid`, a token is accepted only when exactly one key fits its `alg`: trying every
 * key would multiply the cost of each forged token by the size of the JWKS.
 */
export const selectVerifier = (
	keys: KeySet,
	kid: string | undefined,
	alg: string,
): SignatureVerifier | undefined => {
	const candidates: readonly KeyEntry[] | undefined =
		kid === undefined ? keys.usable : keys.byKid.get(kid)
	if (candidates === undefined) {
		const why = kid === undefined ? undefined : keys.refused.get(kid)
		if (why !== undefined) throw new RejectedKeyError(why)
		return undefined
	}
	let found: SignatureVerifier | undefined
	for (const candidate of candidates) {
		const verifier = candidate.verifiers.get(alg)
		if (verifier === undefined) continue
		if (found !== undefined) throw new AmbiguousKeyError()
		found = verifier
	}
	if (found === undefined && kid !== undefined) throw new KeyAlgorithmMismatchError()
	return found
}
