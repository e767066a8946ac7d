import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * Runs each package's tests against the lowest version of each runtime peer its range admits,
 * so the ranges we publish are ranges we have run. Works in a scratch clone of the committed
 * tree (the working copy keeps its lockfile) and needs the registry for the older versions.
 * Only the peer is pinned: its own dependencies resolve as a fresh install would today.
 */
const root = resolve(import.meta.dirname, '..')
const pnpm = process.env.npm_execpath
if (pnpm === undefined) throw new Error('run this through pnpm: pnpm test:peer-floor')

const peers = ['@middy/core', '@aws-lambda-powertools/tracer']

/** `>=x.y.z` or `^x.y.z` → `x.y.z`, the only range forms we publish. */
const floorOf = (range: string): string | undefined => /^(?:>=|\^)(\d+\.\d+\.\d+)$/.exec(range)?.[1]

/** `peer@floor` → the packages whose range for that peer starts there. */
const packagesByFloor = new Map<string, { peer: string; floor: string; packages: string[] }>()
for (const name of readdirSync(join(root, 'packages'))) {
	const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'))
	for (const peer of peers) {
		const range: string | undefined = manifest.peerDependencies?.[peer]
		if (range === undefined) continue
		const floor = floorOf(range)
		if (floor === undefined)
			throw new Error(`packages/${name}: ${peer} range '${range}' is not '>=x.y.z' or '^x.y.z'`)
		const key = `${peer}@${floor}`
		const group = packagesByFloor.get(key) ?? { peer, floor, packages: [] }
		group.packages.push(`packages/${name}`)
		packagesByFloor.set(key, group)
	}
}

const run = (cwd: string, args: string[]) =>
	execFileSync(process.execPath, [pnpm, ...args], { cwd, stdio: 'inherit' })

let failed = false
for (const [key, { peer, floor, packages }] of packagesByFloor) {
	const scratch = mkdtempSync(join(tmpdir(), 'tenantry-peer-floor-'))
	try {
		console.log(`\n▸ ${key}: ${packages.join(', ')}`)
		execFileSync('git', ['clone', '--quiet', root, scratch], { stdio: 'inherit' })
		const manifestPath = join(scratch, 'package.json')
		const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
		manifest.pnpm = { ...manifest.pnpm, overrides: { [peer]: floor } }
		writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
		run(scratch, ['install', '--no-frozen-lockfile', '--reporter=silent'])
		run(scratch, ['exec', 'vitest', 'run', ...packages])
	} catch {
		failed = true
		console.log(`✗ ${key}: failed`)
	} finally {
		rmSync(scratch, { recursive: true, force: true })
	}
}
process.exitCode = failed ? 1 : 0
