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
		if (found !== undefined) {
			if (kid === undefined) throw new AmbiguousKeyError()
			return eitherKey(candidates, alg)
		}
		found = verifier
	}
	if (found === undefined && kid !== undefined) throw new KeyAlgorithmMismatchError()
	return found
}

/**
 * A JWKS that lists keys for `alg` twice under one `kid` (the same key published twice, or a
 * provider's mistake): the token verifies with either. (jose leaves this to its caller with
 * `JWKSMultipleMatchingKeys`; aws-jwt-verify tries only the first listed.) The JWKS bounds the
 * tries, not the token.
 */
const eitherKey = (candidates: readonly KeyEntry[], alg: string): SignatureVerifier => {
	const verifiers = candidates.flatMap((candidate) => candidate.verifiers.get(alg) ?? [])
	return (data, signature) => verifiers.some((verify) => verify(data, signature))
}
