import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

/** Packages whose `defaults` export lists every option of their middleware or factory. */
const packages = ['aws-clients', 'cache', 'hmac-auth', 'jwt-auth', 'rate-limit', 'tenant-isolation']

/** The option named in the first cell of each table row: `` | `name` `` or `` | `a`, `b` ``. */
const tableRows = (markdown: string): Set<string> =>
	new Set(
		[...markdown.matchAll(/^\| ([^|]+)\|/gm)].flatMap(([, cell]) =>
			[...(cell ?? '').matchAll(/`([^`]+)`/g)].map(([, name]) => name ?? ''),
		),
	)

/**
 * CONTRIBUTING: "README.md — what it does, example, options table"; each README says
 * "`defaults` lists them all". A user reads the table, not the source: every option the
 * factory accepts (every key of `defaults`) has a row, or rows for its fields (`jwks.timeoutMs`).
 */
describe.each(packages)('packages/%s/README.md options table', (name) => {
	it('has a row for every key of `defaults`', async () => {
		const { defaults } = (await import(join(root, 'packages', name, 'src/index.ts'))) as {
			defaults: Record<string, unknown>
		}
		const rows = tableRows(readFileSync(join(root, 'packages', name, 'README.md'), 'utf8'))
		const documented = (option: string) =>
			[...rows].some(
				(row) => row === option || row.startsWith(`${option}.`) || row.startsWith(`${option}[`),
			)
		expect(Object.keys(defaults).filter((option) => !documented(option))).toEqual([])
	})
})
