import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

/** Each README a user starts from, and the published package it documents (none: the root's). */
const readmes: [readme: string, packageDir: string | undefined][] = [
	['README.md', undefined],
	['packages/aws-clients/README.md', 'packages/aws-clients'],
	['packages/cache/README.md', 'packages/cache'],
	['packages/hmac-auth/README.md', 'packages/hmac-auth'],
	['packages/jwt-auth/README.md', 'packages/jwt-auth'],
	['packages/rate-limit/README.md', 'packages/rate-limit'],
	['packages/tenant-isolation/README.md', 'packages/tenant-isolation'],
	['packages/testing/README.md', 'packages/testing'],
]

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
const packageOf = (specifier: string): string => {
	const parts = specifier.split('/')
	return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/')
}

/** The bare modules the README's first TypeScript example imports: runtime ones and type-only ones. */
const importsOfFirstExample = (markdown: string): { runtime: string[]; typeOnly: string[] } => {
	const code = /^```ts\n([\s\S]*?)^```$/m.exec(markdown)?.[1] ?? ''
	const runtime = new Set<string>()
	const typeOnly = new Set<string>()
	for (const [, type, specifier] of code.matchAll(/^import (type )?[\s\S]*?from '([^']+)'$/gm)) {
		if (specifier === undefined || specifier.startsWith('.')) continue
		if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue
		;(type === undefined ? runtime : typeOnly).add(packageOf(specifier))
	}
	return { runtime: [...runtime], typeOnly: [...typeOnly] }
}

/** Every package named by the README's `npm install` commands (`-D` ones too). */
const installed = (markdown: string): Set<string> => {
	const names = new Set<string>()
	for (const [, args] of markdown.matchAll(/^npm install ([^\n]+)$/gm)) {
		for (const arg of (args ?? '').split(/\s+/)) {
			if (arg !== '' && !arg.startsWith('-')) names.add(arg.replace(/(?<=.)@[^/]*$/, ''))
		}
	}
	return names
}

/**
 * A user copies a README's first example into a fresh project after running the README's install
 * command: every package that example imports must be in that command, unless the documented
 * package already brings it as a dependency. npm and pnpm install required peers on their own,
 * yarn does not, and an import that is neither (a body parser, another Tenantry package, the SDK
 * client of an optional peer) fails with ERR_MODULE_NOT_FOUND.
 */
describe('README install commands', () => {
	it.each(readmes)('%s names every package its first example imports', (readme, packageDir) => {
		const markdown = readFileSync(join(root, readme), 'utf8')
		const { runtime, typeOnly } = importsOfFirstExample(markdown)
		expect(runtime.length, readme).toBeGreaterThan(0)
		const dependencies: Record<string, string> =
			packageDir === undefined
				? {}
				: (JSON.parse(readFileSync(join(root, packageDir, 'package.json'), 'utf8')).dependencies ??
					{})
		const names = installed(markdown)
		const missing = runtime.filter((name) => !(name in dependencies) && !names.has(name))
		// `import type … from 'aws-lambda'` resolves to @types/aws-lambda, an optional peer.
		const missingTypes = typeOnly.map((name) => `@types/${name}`).filter((name) => !names.has(name))
		expect([...missing, ...missingTypes], readme).toEqual([])
	})
})
