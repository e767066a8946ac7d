/** An own property of an object, or `undefined`: never a prototype's (`constructor`, `__proto__`). */
export const own = (record: unknown, key: string): unknown =>
	typeof record === 'object' && record !== null && Object.hasOwn(record, key)
		? (record as Record<string, unknown>)[key]
		: undefined
