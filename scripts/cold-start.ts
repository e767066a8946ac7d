import { execFile } from 'node:child_process'
import { statSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'

const run = promisify(execFile)

/**
 * Bundles a handler as Lambda deployments do: one minified ESM file for Node 22 with the AWS
 * SDK bundled in (best practice: a pinned SDK, no reliance on the runtime's copy). CommonJS
 * dependencies get a `require` from `createRequire`. Returns the bundle's size in bytes.
 */
export const bundleHandler = async (
	entry: string,
	outfile: string,
	stdin?: { contents: string; resolveDir: string },
): Promise<number> => {
	await build({
		...(stdin ? { stdin: { ...stdin, loader: 'ts' } } : { entryPoints: [entry] }),
		outfile,
		bundle: true,
		minify: true,
		format: 'esm',
		platform: 'node',
		target: 'node22',
		conditions: ['@tenantry/source'],
		mainFields: ['module', 'main'],
		legalComments: 'none',
		logLevel: 'error',
		banner: {
			js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
		},
	})
	return statSync(outfile).size
}

/** Milliseconds one fresh Node process spends evaluating `file` (module init only). */
export const initTimeMs = async (file: string, env: Record<string, string>): Promise<number> => {
	const script = `const s=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-s))`
	const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
		env: { PATH: process.env.PATH ?? '', ...env },
		timeout: 30_000,
	})
	return Number(stdout)
}

const importPattern = /^\s*import\s+(?!type\s)([\s\S]*?)\s+from\s+['"]([^'"]+)['"]/gm

/**
 * The baseline for a handler: a module re-exporting what the handler imports from packages
 * matching `keep` (e.g. AWS SDK clients and `@middy/core`), and nothing else. Re-exports keep
 * the bundler from dropping them, as the handler's own use does.
 */
export const baselineSource = (
	handlerSource: string,
	keep: (specifier: string) => boolean,
): string => {
	const lines: string[] = []
	let alias = 0
	for (const [, clause = '', specifier = ''] of handlerSource.matchAll(importPattern)) {
		if (!keep(specifier)) continue
		const named = /\{([\s\S]*)\}/.exec(clause)?.[1]
		const defaultName = clause
			.replace(/\{[\s\S]*\}/, '')
			.replace(/,/g, '')
			.trim()
		if (defaultName.startsWith('*')) lines.push(`export * as i${alias++} from '${specifier}'`)
		else if (defaultName) lines.push(`export { default as i${alias++} } from '${specifier}'`)
		const names = (named ?? '')
			.split(',')
			.map((name) => name.trim())
			.filter((name) => name && !name.startsWith('type '))
			.map((name) => `${name.split(/\s+as\s+/)[0]} as i${alias++}`)
		if (names.length > 0) lines.push(`export { ${names.join(', ')} } from '${specifier}'`)
	}
	return `${lines.join('\n')}\n`
}

export const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b)
	const middle = Math.floor(sorted.length / 2)
	return sorted.length % 2
		? (sorted[middle] ?? Number.NaN)
		: ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}
