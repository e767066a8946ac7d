import { mkdirSync, readFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { Report } from '../bench-kit.js'
import { defineBench } from '../bench-kit.js'
import { bundleHandler } from '../bundle-handler.js'
import { baselineSource, clientExports, initTimeMs, median } from '../cold-start.js'
import { exampleInitEnv as initEnv } from '../examples.js'

const root = resolve(import.meta.dirname, '../..')
const outDir = resolve(root, '.bench/cold-start')
const runs = Number(process.env.COLD_START_RUNS ?? 11)

const entries = [
	'examples/tenant-api/handler.ts',
	'examples/webhook-ingest/handler.ts',
	'examples/tenant-authorizer/authorizer.ts',
	'examples/tenant-authorizer/handler.ts',
]

/** The stated baseline: the same AWS SDK clients (those the bundle carries) and `@middy/core`. */
const sdkAndCore = (specifier: string) =>
	specifier.startsWith('@aws-sdk/') || specifier === '@middy/core'
/** Everything but Tenantry: what our packages alone add. */
const allButTenantry = (specifier: string) =>
	!specifier.startsWith('@tenantry/') && !specifier.startsWith('.')

interface Bundle {
	file: string
	bytes: number
	sdkClients: string[]
}

const bundle = async (entry: string, name: string): Promise<Bundle> => {
	const file = resolve(outDir, `${name}.mjs`)
	return { file, ...(await bundleHandler(resolve(root, entry), file)) }
}

/** A baseline for `entry`: its imports that `keep` selects, plus every SDK client `ours` carries. */
const baseline = async (
	entry: string,
	name: string,
	ours: Bundle,
	keep: (specifier: string) => boolean,
): Promise<Bundle> => {
	const file = resolve(outDir, `${name}.mjs`)
	const entryPath = resolve(root, entry)
	const extra = await clientExports(ours.sdkClients, entryPath)
	const contents = baselineSource(readFileSync(entryPath, 'utf8'), keep, extra)
	return {
		file,
		...(await bundleHandler(entryPath, file, { contents, resolveDir: dirname(entryPath) })),
	}
}

/** Medians over alternating runs, so drift on a shared machine hits all bundles alike. */
const medianInits = async (bundles: Bundle[]): Promise<number[]> => {
	const samples = bundles.map(() => [] as number[])
	for (let run = 0; run < runs; run++) {
		for (const [index, { file }] of bundles.entries())
			samples[index]?.push(await initTimeMs(file, initEnv))
	}
	return samples.map(median)
}

/**
 * Each example bundled as Lambda deployments do (esbuild, minified ESM for node22, AWS SDK
 * bundled), its module init timed in fresh Node processes (median of `COLD_START_RUNS`, default
 * 11), against two baselines, with the same targets (init ≤ 1.25×, size ≤ 1.3×): the same AWS
 * SDK clients and `@middy/core` (the stated baseline), and everything the handler imports but
 * Tenantry (what our middlewares alone add, when the example also uses Powertools or middy's
 * own middlewares). A bundle without any AWS SDK client reports what Tenantry adds instead.
 */
export default defineBench(async () => ({
	reports: async () => {
		mkdirSync(outDir, { recursive: true })
		const reports: Report[] = []
		for (const entry of entries) {
			const name = `${basename(dirname(entry))}-${basename(entry, '.ts')}`
			const ours = await bundle(entry, name)
			const sdk = await baseline(entry, `${name}.baseline`, ours, sdkAndCore)
			const thirdParty = await baseline(entry, `${name}.third-party`, ours, allButTenantry)
			const [oursMs = 0, baselineMs = 0, thirdPartyMs = 0] = await medianInits([
				ours,
				sdk,
				thirdParty,
			])
			const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`
			if (ours.sdkClients.length === 0) {
				// No AWS SDK in this bundle: there is no SDK cost to compare with, so say what we add.
				reports.push(
					{
						name: `${name}: bundle bytes added by Tenantry`,
						value: (ours.bytes - thirdParty.bytes) / 1024,
						unit: 'KiB',
						note: `${kib(ours.bytes)} in all, no AWS SDK`,
					},
					{
						name: `${name}: module init added by Tenantry`,
						value: oursMs - thirdPartyMs,
						unit: 'ms',
						note: `${oursMs.toFixed(1)} ms vs ${thirdPartyMs.toFixed(1)} ms`,
					},
				)
				continue
			}
			const size = (peer: Bundle, label: string): Report => ({
				name: `${name}: bundle size ÷ ${label}`,
				value: ours.bytes / peer.bytes,
				unit: '×',
				target: { max: 1.3 },
				note: `${kib(ours.bytes)} vs ${kib(peer.bytes)}`,
			})
			const init = (peerMs: number, label: string): Report => ({
				name: `${name}: module init ÷ ${label}`,
				value: oursMs / peerMs,
				unit: '×',
				target: { max: 1.25 },
				note: `${oursMs.toFixed(1)} ms vs ${peerMs.toFixed(1)} ms`,
			})
			reports.push(
				size(sdk, 'SDK + middy core'),
				init(baselineMs, 'SDK + middy core'),
				size(thirdParty, 'all but Tenantry'),
				init(thirdPartyMs, 'all but Tenantry'),
			)
		}
		return reports
	},
}))
