import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Milliseconds one fresh Node process spends evaluating `file` and running the immediates its
 * evaluation queued. Work a module defers with `setImmediate` (jwtAuth's JWKS prefetch, which
 * loads `node:http`) still runs on the main thread while a cold start's first event is
 * fetched, ahead of its handler in practice, so it is part of the cold start a caller waits
 * for: stopping the clock at the import left it out (5 ms of the authorizer's 11). It is not
 * Lambda's Init Duration: aws-lambda-ric 4.0.2 asks for the first event (`GET
 * /invocation/next`, the end of init) as soon as the handler has loaded, before those
 * immediates run, so they are billed in the first invocation. The process exits right after:
 * network replies to prefetches and refresh timers must not keep it waiting.
 */
export const initTimeMs = async (file: string, env: Record<string, string>): Promise<number> => {
	const script = `const s=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});await new Promise(r=>setImmediate(r));process.stdout.write(String(performance.now()-s));process.exit(0)`
	const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
		env: { PATH: process.env.PATH ?? '', ...env },
		timeout: 30_000,
	})
	return Number(stdout)
}

const importPattern = /^\s*import\s+(?!type\s)([\s\S]*?)\s+from\s+['"]([^'"]+)['"]/gm

/**
 * The baseline for a handler: a module re-exporting what the handler imports from packages
 * matching `keep` (e.g. AWS SDK clients and `@middy/core`), plus `extraLines`, and nothing
 * else. Re-exports keep the bundler from dropping them, as the handler's own use does.
 */
export const baselineSource = (
	handlerSource: string,
	keep: (specifier: string) => boolean,
	extraLines: string[] = [],
): string => {
	const lines = [...extraLines]
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

/**
 * `export { STSClient as c0 } from '@aws-sdk/client-sts'`-style lines for the SDK clients a
 * bundle carries, so a baseline carries them too, even those a middleware pulls in.
 */
export const clientExports = async (packages: string[], resolveFrom: string): Promise<string[]> => {
	const require = createRequire(resolveFrom)
	return Promise.all(
		packages.map(async (name, index) => {
			const exported = Object.keys(await import(pathToFileURL(require.resolve(name)).href))
			const client = exported.find((key) => /^[A-Z][A-Za-z0-9]*Client$/.test(key))
			if (client === undefined) throw new Error(`no client class exported by ${name}`)
			return `export { ${client} as c${index} } from '${name}'`
		}),
	)
}

export const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b)
	const middle = Math.floor(sorted.length / 2)
	return sorted.length % 2
		? (sorted[middle] ?? Number.NaN)
		: ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}
