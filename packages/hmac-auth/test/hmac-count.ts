/**
 * Counts HMACs computed with a `KeyObject` key: the middleware's verifications (SigV4 and
 * `signRequest` use other keys). `src/verify.ts` takes `createHmac` when it loads, so a test
 * imports this first, through `vi.hoisted`.
 */
const crypto = process.getBuiltinModule('node:crypto')
const original = crypto.createHmac

export const verifications = { count: 0 }

crypto.createHmac = ((algorithm: string, key: unknown, ...rest: unknown[]) => {
	if (key instanceof crypto.KeyObject) verifications.count++
	return (original as (...args: unknown[]) => unknown)(algorithm, key, ...rest)
}) as typeof original
