/** An own property of an object, or `undefined`: never a prototype's. */
export const own = (record: unknown, key: string): unknown =>
	typeof record === 'object' && record !== null && Object.hasOwn(record, key)
		? (record as Record<string, unknown>)[key]
		: undefined

export const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value)
