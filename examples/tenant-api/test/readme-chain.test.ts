import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { expect, it } from 'vitest'

/**
 * The root README's Examples table describes tenant-api's chain; it must list the middlewares in
 * the order handler.ts uses them (tenantRateLimit now runs before httpJsonBodyParser, so that a
 * body that does not parse is counted against the quota).
 */
const root = resolve(import.meta.dirname, '../../..')
const names = ['jwtAuth', 'httpJsonBodyParser', 'tenantIsolation', 'tenantRateLimit', 'awsClients']

it('the root README lists tenant-api middlewares in handler order', () => {
	const handler = readFileSync(resolve(root, 'examples/tenant-api/handler.ts'), 'utf8')
	const chain = handler.slice(handler.indexOf('export const handler'))
	const used = names
		.filter((name) => chain.includes(`${name}(`))
		.sort((a, b) => chain.indexOf(`${a}(`) - chain.indexOf(`${b}(`))
	const row = readFileSync(resolve(root, 'README.md'), 'utf8')
		.split('\n')
		.find((line) => line.startsWith('| [`tenant-api`]'))
	const listed = [...(row ?? '').matchAll(/`(\w+)`/g)]
		.map((match) => match[1])
		.filter((name) => names.includes(name ?? ''))
	expect(used).toHaveLength(names.length)
	expect(listed).toEqual(used)
})
