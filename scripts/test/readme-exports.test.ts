import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const packages = [
	'aws-clients',
	'cache',
	'hmac-auth',
	'jwt-auth',
	'rate-limit',
	'tenant-isolation',
	'testing',
	'util',
]

/** Placeholder arguments for reason classes: their `code` does not depend on them. */
const argumentSets: unknown[][] = [['x', 'x', 1, false], [['x'], ['x']], []]

/** The `cause.code` a reason class carries, when its constructor fixes one. */
const codeOf = (error: new (...args: unknown[]) => unknown): string | undefined => {
	for (const args of argumentSets) {
		try {
			const code = (new error(...args) as { code?: unknown }).code
			if (typeof code === 'string' && /^[a-z]+(?:_[a-z]+)+$/.test(code)) return code
		} catch {}
	}
	return undefined
}

const isErrorClass = (value: unknown): value is new (...args: unknown[]) => unknown =>
	typeof value === 'function' && value.prototype instanceof Error

/**
 * Every value a package exports is named in its README (a reason class may be named by the
 * `cause.code` it carries, as the errors tables do), so nothing a user can import is found only
 * in the source.
 */
describe.each(packages)('packages/%s/README.md', (name) => {
	it('names every value export of src/index.ts', async () => {
		const module = (await import(join(root, 'packages', name, 'src/index.ts'))) as Record<
			string,
			unknown
		>
		const markdown = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8')
		const named = (word: string) => new RegExp(`(?<![\\w$])${word}(?![\\w$])`).test(markdown)
		const unnamed = Object.entries(module)
			.filter(([exported, value]) => {
				if (named(exported)) return false
				const code = isErrorClass(value) ? codeOf(value) : undefined
				return code === undefined || !named(code)
			})
			.map(([exported]) => exported)
		expect(unnamed).toEqual([])
	})
})
