/** An own property of an object, or `undefined`: never a prototype's (`constructor`, `__proto__`). */
export const own = (record: unknown, key: string): unknown =>
	typeof record === 'object' && record !== null && Object.hasOwn(record, key)
		? (record as Record<string, unknown>)[key]
		: undefined

/** `null` and `undefined` both mean "this place names no tenant". */
export const isAbsent = (value: unknown): value is null | undefined =>
	value === undefined || value === null
