import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * Runs every test on Node 22, which the repository itself never runs on (it brings Node 24):
 * on the lowest release the packages' `engines` admit, and on the newest 22.x, which Lambda's
 * `nodejs22.x` follows. Each Node comes from the npm registry through `npx`; vitest's workers
 * run on the Node that started it.
 */
const root = resolve(import.meta.dirname, '..')

/** The `engines.node` floor every published package states (`>=x.y.z`); they must agree. */
const enginesFloor = (): string => {
	const floors = new Set<string>()
	for (const name of readdirSync(join(root, 'packages'))) {
		const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'))
		const range: unknown = manifest.engines?.node
		const floor = typeof range === 'string' ? /^>=(\d+\.\d+\.\d+)$/.exec(range)?.[1] : undefined
		if (floor === undefined)
			throw new Error(`packages/${name}: engines.node '${String(range)}' is not '>=x.y.z'`)
		floors.add(floor)
	}
	const [floor, ...others] = floors
	if (floor === undefined || others.length > 0)
		throw new Error(`packages disagree on engines.node: ${[...floors].join(', ')}`)
	return floor
}

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const onNode = (version: string, args: string[]) =>
	execFileSync('npx', ['--yes', `node@${version}`, ...args], { cwd: root, stdio: 'inherit' })

let failed = false
for (const version of [enginesFloor(), '22']) {
	console.log(`\n▸ Node ${version}`)
	try {
		onNode(version, ['--eval', 'console.log("running on", process.version)'])
		onNode(version, [vitest, 'run'])
	} catch {
		failed = true
		console.log(`✗ Node ${version}: failed`)
	}
}
process.exitCode = failed ? 1 : 0
