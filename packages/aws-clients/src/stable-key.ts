const { createHash } = process.getBuiltinModule('node:crypto')

const identities = new WeakMap<WeakKey, number>()
let nextIdentity = 1

/** A number that stands for one object, function or unregistered symbol for as long as it lives. */
export const identityOf = (value: WeakKey): number => {
	let id = identities.get(value)
	if (id === undefined) {
		id = nextIdentity++
		identities.set(value, id)
	}
	return id
}

const isPlainData = (value: object): boolean => {
	const prototype = Object.getPrototypeOf(value)
	return Array.isArray(value) || prototype === Object.prototype || prototype === null
}

/**
 * Plain data (objects, arrays, primitives) written out with sorted keys; anything else
 * (functions, class instances such as a credential provider or a logger) by identity, so
 * two configs share a key only when they hold the very same objects.
 */
const canonical = (value: unknown, seen: Set<object>): string => {
	if (value === undefined) return 'u'
	if (value === null) return 'n'
	switch (typeof value) {
		case 'string':
			return JSON.stringify(value)
		case 'number':
		case 'boolean':
		case 'bigint':
			return `${(typeof value).charAt(0)}${String(value)}`
		case 'symbol': {
			// Symbols of one description are still distinct, unless `Symbol.for` registered them.
			const registered = Symbol.keyFor(value)
			return registered === undefined ? `@${identityOf(value)}` : `y${JSON.stringify(registered)}`
		}
		default:
			break
	}
	const object = value as object
	if (!isPlainData(object) || seen.has(object)) return `@${identityOf(object)}`
	seen.add(object)
	const text = Array.isArray(object)
		? `[${object.map((item) => canonical(item, seen)).join(',')}]`
		: `{${Object.keys(object)
				.sort()
				.filter((key) => (object as Record<string, unknown>)[key] !== undefined)
				.map(
					(key) =>
						`${JSON.stringify(key)}:${canonical((object as Record<string, unknown>)[key], seen)}`,
				)
				.join(',')}}`
	seen.delete(object)
	return text
}

/** A short stable hash of a configuration, for cache keys. */
export const stableHash = (value: unknown): string =>
	createHash('sha256').update(canonical(value, new Set())).digest('base64url').slice(0, 22)
