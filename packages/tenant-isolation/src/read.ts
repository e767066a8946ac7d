/** `null` and `undefined` both mean "this place names no tenant". */
export const isAbsent = (value: unknown): value is null | undefined =>
	value === undefined || value === null
