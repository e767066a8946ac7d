import { execFile } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const file = join(root, 'examples/tenant-api', `.readme-run-${process.pid}-testing.ts`)
afterAll(() => rmSync(file, { force: true }))

/**
 * The @tenantry/testing README's example, run (not only type-checked) beside a real handler,
 * tenant-api's, which reads its configuration from the environment when its module loads, as
 * Lambda handlers do: the stack's identity provider listens on a random port, so the example
 * must import the handler after starting the stack.
 */
it('the @tenantry/testing README example runs against a handler configured from the environment', async () => {
	const markdown = readFileSync(join(root, 'packages/testing/README.md'), 'utf8')
	const code = /^```ts\n([\s\S]*?)^```$/m.exec(markdown)?.[1] ?? ''
	expect(code).toContain("'./handler.js'")
	writeFileSync(file, code)
	const { stdout } = await promisify(execFile)(
		join(root, 'node_modules/.bin/tsx'),
		['--conditions=@tenantry/source', file],
		{
			cwd: join(root, 'examples/tenant-api'),
			encoding: 'utf8',
			env: {
				...process.env,
				AUDIENCE: 'api',
				DYNAMODB_TABLE_NAME: 'items',
				TENANT_ROLE_ARN: 'arn:aws:iam::000000000000:role/tenant-data',
			},
		},
	).catch((error: { stdout?: string; stderr?: string }) => {
		throw new Error(`the example failed:\n${error.stderr ?? ''}${error.stdout ?? ''}`)
	})
	expect(stdout).toMatch(/statusCode: 404/)
}, 60_000)
