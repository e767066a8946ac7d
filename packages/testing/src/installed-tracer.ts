import { readFileSync, realpathSync } from 'node:fs'

/** The Powertools Tracer a package installed, as a test of that package finds it. */
export interface InstalledTracer {
	/** Its `package.json`, for `createRequire` (its own dependencies, e.g. the invoke store). */
	readonly packageJson: string
	/**
	 * Whether it keeps the handler segment per invocation on Lambda Managed Instances: from 2.34
	 * (powertools-lambda-typescript#5446). An older one annotates whichever invocation set its
	 * segment last, so tests of concurrent invocations only hold from there (`test:peer-floor`
	 * installs the oldest the peer range admits).
	 */
	readonly keepsSegmentPerInvocation: boolean
}

/** `packageDir`: the package's folder, e.g. `new URL('..', import.meta.url)` from its `test/`. */
export const installedTracer = (packageDir: URL): InstalledTracer => {
	const packageJson = realpathSync(
		new URL('node_modules/@aws-lambda-powertools/tracer/package.json', packageDir),
	)
	const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }
	const [major = 0, minor = 0] = version.split('.').map(Number)
	return { packageJson, keepsSegmentPerInvocation: major > 2 || (major === 2 && minor >= 34) }
}
