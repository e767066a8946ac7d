import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * Runs each package's tests against the lowest `@middy/core` its peer range admits, so the
 * ranges we publish are ranges we have run. Works in a scratch clone of the committed tree
 * (the working copy keeps its lockfile) and needs the registry for the older version.
 */
const root = resolve(import.meta.dirname, '..')
const pnpm = process.env.npm_execpath
if (pnpm === undefined) throw new Error('run this through pnpm: pnpm test:peer-floor')

const packagesByFloor = new Map<string, string[]>()
for (const name of readdirSync(join(root, 'packages'))) {
	const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'))
	const range: string | undefined = manifest.peerDependencies?.['@middy/core']
	if (range === undefined) continue
	const floor = /^>=(\d+\.\d+\.\d+)$/.exec(range)?.[1]
	if (floor === undefined)
		throw new Error(`packages/${name}: peer range '${range}' is not '>=x.y.z'`)
	packagesByFloor.set(floor, [...(packagesByFloor.get(floor) ?? []), `packages/${name}`])
}

const run = (cwd: string, args: string[]) =>
	execFileSync(process.execPath, [pnpm, ...args], { cwd, stdio: 'inherit' })

let failed = false
for (const [floor, packages] of packagesByFloor) {
	const scratch = mkdtempSync(join(tmpdir(), `tenantry-middy-${floor}-`))
	try {
		console.log(`\n▸ @middy/core ${floor}: ${packages.join(', ')}`)
		execFileSync('git', ['clone', '--quiet', root, scratch], { stdio: 'inherit' })
		const manifestPath = join(scratch, 'package.json')
		const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
		manifest.pnpm = { ...manifest.pnpm, overrides: { '@middy/core': floor } }
		writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
		run(scratch, ['install', '--no-frozen-lockfile', '--reporter=silent'])
		run(scratch, ['exec', 'vitest', 'run', ...packages])
	} catch {
		failed = true
		console.log(`✗ @middy/core ${floor}: failed`)
	} finally {
		rmSync(scratch, { recursive: true, force: true })
	}
}
process.exitCode = failed ? 1 : 0
