import { execFileSync } from 'node:child_process'
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const packageDirs = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name))

interface PackageJson {
	name: string
	type: string
	main: string
	types: string
	sideEffects: boolean
	engines: { node: string }
	exports: Record<string, Record<string, string> | string>
	publishConfig: { exports: Record<string, Record<string, string> | string> }
	files: string[]
	dependencies?: Record<string, string>
	peerDependencies?: Record<string, string>
}

const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8')

const readPackage = (dir: string): PackageJson =>
	JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))

let consumer: string

/**
 * What a user gets from npm: the built `dist/` resolved through the published `exports`,
 * imported by plain Node without the workspace's source condition.
 */
describe('published packages', () => {
	beforeAll(() => {
		execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b'], { cwd: root, stdio: 'pipe' })
		consumer = mkdtempSync(join(tmpdir(), 'tenantry-consumer-'))
		mkdirSync(join(consumer, 'node_modules/@tenantry'), { recursive: true })
		for (const dir of packageDirs) {
			symlinkSync(dir, join(consumer, 'node_modules', readPackage(dir).name))
		}
	}, 120_000)
	afterAll(() => rmSync(consumer, { recursive: true, force: true }))

	it.each(packageDirs.map((dir) => [readPackage(dir).name, dir]))(
		'%s is an ESM package with types and an exports map',
		(name, dir) => {
			const pkg = readPackage(dir)
			expect(pkg.type).toBe('module')
			expect(pkg.sideEffects).toBe(false)
			// 22.3 brought process.getBuiltinModule, which the packages use for cold start.
			expect(pkg.engines.node).toBe('>=22.3.0')
			expect(pkg.files).toContain('dist')
			expect(pkg.publishConfig.exports['.']).toEqual({
				types: './dist/index.d.ts',
				default: './dist/index.js',
			})
			// For TypeScript's node10 resolution (`module: commonjs`), which reads no exports map.
			expect(pkg.main).toBe('./dist/index.js')
			expect(pkg.types).toBe('./dist/index.d.ts')
			expect(existsSync(join(dir, 'dist/index.js'))).toBe(true)
			expect(existsSync(join(dir, 'dist/index.d.ts'))).toBe(true)
			// npm packs a LICENSE only from the package's own folder.
			expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(rootLicense)
			// A future middy major is untested: it must not satisfy the range.
			const middy = pkg.peerDependencies?.['@middy/core']
			if (middy !== undefined) expect(middy).toMatch(/^\^7\.\d+\.\d+$/)
			for (const peer of Object.keys(pkg.peerDependencies ?? {})) {
				expect(Object.keys(pkg.dependencies ?? {})).not.toContain(peer)
			}
			const exported = execFileSync(
				process.execPath,
				[
					'--input-type=module',
					'-e',
					`const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).sort().join(','))`,
				],
				{ cwd: consumer, encoding: 'utf8' },
			)
			expect(exported.trim().length).toBeGreaterThan(0)
		},
	)
})
