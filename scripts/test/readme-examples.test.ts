import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

/** Each README, and the workspace package whose dependencies its examples import. */
const readmes: [readme: string, packageDir: string][] = [
	['README.md', 'examples/tenant-api'],
	['packages/aws-clients/README.md', 'packages/aws-clients'],
	['packages/cache/README.md', 'packages/cache'],
	['packages/hmac-auth/README.md', 'packages/hmac-auth'],
	['packages/jwt-auth/README.md', 'packages/jwt-auth'],
	['packages/rate-limit/README.md', 'examples/tenant-api'],
	['packages/tenant-isolation/README.md', 'packages/tenant-isolation'],
	['packages/testing/README.md', 'examples/tenant-api'],
	// Its Powertools Logger example resolves the root's @aws-lambda-powertools/logger.
	['packages/util/README.md', 'examples/tenant-api'],
]

/** The README's TypeScript examples that are whole modules (they import what they use). */
const wholeExamples = (markdown: string): string[] =>
	[...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
		.map((match) => match[1] ?? '')
		.filter((code) => /^import /m.test(code))

/**
 * The examples are written into each package, as a user's file beside its own would be (so they
 * resolve its dependencies, its own name and its `./handler.js`), and removed afterwards.
 */
const written: string[] = []
const configDir = mkdtempSync(join(tmpdir(), 'tenantry-readme-'))
afterAll(() => {
	for (const file of written) rmSync(file, { force: true })
	rmSync(configDir, { recursive: true, force: true })
})

/** `tsc` over the examples: its error lines, or none. */
const typeErrors = (files: string[]): string[] => {
	const config = join(configDir, 'tsconfig.json')
	writeFileSync(
		config,
		JSON.stringify({
			extends: join(root, 'tsconfig.base.json'),
			compilerOptions: {
				noEmit: true,
				composite: false,
				declaration: false,
				declarationMap: false,
				incremental: false,
				typeRoots: [join(root, 'node_modules/@types')],
			},
			files,
			// Declarations of untyped dependencies (dynalite).
			include: [join(root, 'packages/*/src/**/*.d.ts')],
		}),
	)
	try {
		execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', config], { encoding: 'utf8' })
		return []
	} catch (error) {
		const output = String((error as { stdout?: unknown }).stdout ?? error)
		return output.split('\n').filter((line) => line.includes('error'))
	}
}

describe('README examples a user copies', () => {
	it('type-check, each as a module beside the package it documents', () => {
		for (const [readme, packageDir] of readmes) {
			const examples = wholeExamples(readFileSync(join(root, readme), 'utf8'))
			expect(examples.length, readme).toBeGreaterThan(0)
			for (const [index, code] of examples.entries()) {
				const name = `${readme.replaceAll('/', '_').replace('.md', '')}-${index + 1}`
				const file = join(root, packageDir, `.readme-example-${process.pid}-${name}.ts`)
				writeFileSync(file, code)
				written.push(file)
			}
		}
		expect(typeErrors(written)).toEqual([])
	})
})
