import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'

/**
 * Runs the whole suite and the demo against the newest version of every dependency and peer
 * the ranges admit: what a user installing today gets, while the lockfile keeps older ones (the
 * AWS SDK ships a minor release most days, and aws-clients leans on its middleware stack and
 * credential provider). The floor's counterpart (scripts/peer-floor.ts). Works in a scratch clone
 * of the committed tree without its lockfile, so every range, transitive ones included,
 * resolves afresh; exact pins stay where they are. Needs the registry.
 */
const root = resolve(import.meta.dirname, '..')
const pnpm = process.env.npm_execpath
if (pnpm === undefined) throw new Error('run this through pnpm: pnpm test:peer-ceiling')

/** `name@version` of every package a lockfile holds. */
const lockedIn = (dir: string): Set<string> =>
	new Set(Object.keys(parse(readFileSync(join(dir, 'pnpm-lock.yaml'), 'utf8')).packages ?? {}))

const run = (cwd: string, args: string[]) =>
	execFileSync(process.execPath, [pnpm, ...args], { cwd, stdio: 'inherit' })

const scratch = mkdtempSync(join(tmpdir(), 'tenantry-peer-ceiling-'))
let failed = false
try {
	execFileSync('git', ['clone', '--quiet', root, scratch], { stdio: 'inherit' })
	const locked = lockedIn(scratch)
	rmSync(join(scratch, 'pnpm-lock.yaml'))
	run(scratch, ['install', '--no-frozen-lockfile', '--reporter=silent'])
	// What moved, so a failure can be traced to the release that brought it.
	const moved = [...lockedIn(scratch)].filter((key) => !locked.has(key)).sort()
	console.log(`\n▸ newer than the lockfile: ${moved.length === 0 ? 'nothing' : moved.join(', ')}`)
	for (const script of ['test', 'demo']) {
		try {
			run(scratch, ['run', script])
		} catch {
			failed = true
			console.log(`✗ pnpm ${script} on the newest versions: failed`)
		}
	}
} catch {
	failed = true
	console.log('✗ could not install the newest versions')
} finally {
	rmSync(scratch, { recursive: true, force: true })
}
process.exitCode = failed ? 1 : 0
