import { relative } from 'node:path'
import { bundleExamples } from './bundle-handler.js'
import { root } from './examples.js'

// `pnpm bundle`: the files each example's template deploys (see bundleExamples).
for (const bundle of await bundleExamples()) {
	const kib = (bundle.bytes / 1024).toFixed(0)
	console.log(`${bundle.example} ${bundle.function}: ${relative(root, bundle.file)} (${kib} KiB)`)
}
