import type { JWTPayload, JwtAuth } from './types.js'

/** Freezes a parsed JSON value and everything in it, without recursion (depth is unbounded). */
const deepFreeze = <T>(value: T): T => {
	const pending: unknown[] = [value]
	for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
		if (typeof next !== 'object' || next === null || Object.isFrozen(next)) continue
		Object.freeze(next)
		for (const child of Object.values(next)) pending.push(child)
	}
	return value
}

export const createAuth = (
	claims: Record<string, unknown>,
	subject: string,
	issuer: string,
	scopes: string[],
	tenantId: string | undefined,
): JwtAuth =>
	Object.freeze({
		method: 'jwt' as const,
		tenantId,
		subject,
		issuer,
		scopes: Object.freeze(scopes),
		claims: deepFreeze(claims) as JWTPayload,
	})
