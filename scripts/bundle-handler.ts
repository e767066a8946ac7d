import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { bundleDir, exampleFunctions, examples, root } from './examples.js'

export interface BundleFacts {
	bytes: number
	/** AWS SDK client packages in the bundle, e.g. `@aws-sdk/client-sts`. */
	sdkClients: string[]
}

/**
 * Bundles a handler as Lambda deployments do: one minified ESM file for Node 22 with the AWS
 * SDK bundled in (best practice: a pinned SDK, no reliance on the runtime's copy). CommonJS
 * dependencies get a `require` from `createRequire`.
 */
export const bundleHandler = async (
	entry: string,
	outfile: string,
	stdin?: { contents: string; resolveDir: string },
): Promise<BundleFacts> => {
	const { metafile } = await build({
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
		metafile: true,
	})
	const sdkClients = new Set<string>()
	for (const input of Object.keys(metafile.inputs)) {
		const client = /node_modules\/(@aws-sdk\/client-[\w-]+)\//.exec(input)?.[1]
		if (client) sdkClients.add(client)
	}
	return { bytes: statSync(outfile).size, sdkClients: [...sdkClients].sort() }
}

export interface ExampleBundle extends BundleFacts {
	example: string
	function: string
	file: string
}

/**
 * Bundles every example function into `<outRoot>/<example>/dist/<handler file>.mjs`, the
 * `CodeUri` its template deploys: `sam build` cannot install a workspace's `workspace:`
 * dependencies, so the templates deploy these prebuilt files as they are.
 */
export const bundleExamples = async (
	outRoot = join(root, 'examples'),
): Promise<ExampleBundle[]> => {
	const bundles: ExampleBundle[] = []
	for (const example of examples) {
		const outDir = join(outRoot, example, bundleDir)
		mkdirSync(outDir, { recursive: true })
		for (const fn of exampleFunctions(example)) {
			const file = join(outDir, `${fn.file}.mjs`)
			bundles.push({ example, function: fn.name, file, ...(await bundleHandler(fn.source, file)) })
		}
	}
	return bundles
}
