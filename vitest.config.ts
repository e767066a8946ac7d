import { defineConfig } from 'vitest/config'

// `@tenantry/source` points workspace imports at `src/*.ts`, so tests never need a build.
const conditions = ['@tenantry/source', 'node', 'import', 'module', 'default']

export default defineConfig({
	resolve: { conditions },
	ssr: { resolve: { conditions, externalConditions: ['@tenantry/source'] } },
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
