import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

// `@tenantry/source` points workspace imports at `src/*.ts`, so tests never need a build;
// `module` is dropped, as vitest does by default: it selects bundler-only builds (the AWS SDK's dist-es).
const conditions = [
	'@tenantry/source',
	...defaultServerConditions.filter((condition) => condition !== 'module'),
]

export default defineConfig({
	ssr: { resolve: { conditions } },
	test: {
		include: [
			'packages/*/test/**/*.test.ts',
			'examples/*/test/**/*.test.ts',
			'scripts/test/**/*.test.ts',
		],
		environment: 'node',
		pool: 'forks',
		testTimeout: 20_000,
		hookTimeout: 30_000,
		reporters: ['default', ['json', { outputFile: '.reports/vitest.json' }]],
	},
})
