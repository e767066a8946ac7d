/** Latin letters and the Cyrillic letters drawn the same. */
const confusables: Readonly<Record<string, string>> = {
	a: '\u0430',
	c: '\u0441',
	e: '\u0435',
	o: '\u043e',
	p: '\u0440',
	x: '\u0445',
}

/**
 * Texts one comparison away from a tenant id: letter case, padding, a tab, a key separator, a
 * path step, a percent-escape, a Cyrillic look-alike, a NUL. Random strings almost never land
 * next to a tenant id, so a property test that should catch a tenant compared ignoring case, or
 * after a trim, needs these among its values.
 */
export const tenantLookAlikes = (tenantId: string): string[] => {
	const last = tenantId.at(-1) ?? ''
	const confusable = [...tenantId].findIndex((letter) => letter in confusables)
	const candidates = [
		tenantId.toUpperCase(),
		`${tenantId.charAt(0).toUpperCase()}${tenantId.slice(1)}`,
		`${tenantId} `,
		` ${tenantId}`,
		`${tenantId}\t`,
		`${tenantId}#`,
		`${tenantId}/..`,
		'..',
		`${tenantId.slice(0, -1)}%${last.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
		confusable === -1
			? tenantId
			: `${tenantId.slice(0, confusable)}${confusables[tenantId.charAt(confusable)]}${tenantId.slice(confusable + 1)}`,
		`${tenantId}\u0000`,
	]
	return [...new Set(candidates)].filter((candidate) => candidate !== tenantId)
}
