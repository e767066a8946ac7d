/** Texts of 0–999, and of 000–999 for the groups after the first, made on first use. */
let groups: { readonly leading: readonly string[]; readonly padded: readonly string[] } | undefined

const makeGroups = () => {
	const leading: string[] = []
	const padded: string[] = []
	for (let group = 0; group < 1000; group++) {
		leading.push(String(group))
		padded.push(String(group).padStart(3, '0'))
	}
	return { leading, padded }
}

// A count moves by one per request, so its thousands change once in a thousand requests.
let lastThousands = -1
let lastThousandsText = ''

/**
 * The text `String(value)` gives, joined from three-digit groups for a non-negative safe integer.
 * V8 keeps every number `String()` formats in a cache that each young-generation collection
 * treats as live: a count that changes on every request fills it with strings that are copied
 * and promoted to old space, which made each scavenge some twenty times slower and old space
 * grow until a full collection. The common case, below a thousand, stays small enough for V8 to
 * inline into the middleware. A larger count is not looked up in the table first: reading past
 * an array's end costs V8 more than the comparison.
 */
export const decimalText = (value: number): string =>
	value < 1000 ? (groups?.leading[value] ?? longDecimalText(value)) : longDecimalText(value)

const longDecimalText = (value: number): string => {
	// A custom store may count in fractions or worse; those keep String()'s text.
	if (!Number.isSafeInteger(value) || value < 0) return String(value)
	groups ??= makeGroups()
	if (value < 1000) return groups.leading[value] as string
	const low = value % 1000
	const thousands = (value - low) / 1000
	if (thousands !== lastThousands) {
		lastThousandsText = longDecimalText(thousands)
		lastThousands = thousands
	}
	return lastThousandsText + (groups.padded[low] as string)
}
