import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { bundleExamples } from '../bundle-handler.js'
import {
	bundleDir,
	exampleFunctions,
	exampleInitEnv,
	examples,
	intrinsics,
	root,
	templateOf,
} from '../examples.js'
import { type Principal, templateResolver, trusts } from '../iam-policy.js'

const run = promisify(execFile)

/** Variables a handler cannot start without: `env('NAME')` calls. */
const requiredVariables = (source: string): string[] =>
	[...source.matchAll(/\benv\('([A-Z0-9_]+)'\)/g)].map(([, name]) => name ?? '')

/**
 * The deployable half of each example must agree with its code: every function's handler
 * exists and is exported, every variable the code requires is set, and the runtime is a
 * Node.js the packages support.
 */
describe.each(examples)('examples/%s/template.yaml', (example) => {
	const template = templateOf(example)
	const functions = Object.entries(template.Resources).filter(
		([, resource]) => resource.Type === 'AWS::Serverless::Function',
	)

	it('declares at least one function on a supported Node.js runtime, traced', () => {
		expect(functions.length).toBeGreaterThan(0)
		const globals = template.Globals?.Function ?? {}
		for (const [, resource] of functions) {
			expect(['nodejs22.x', 'nodejs24.x']).toContain(
				resource.Properties?.Runtime ?? globals.Runtime,
			)
			expect(resource.Properties?.Tracing ?? globals.Tracing).toBe('Active')
		}
	})

	it.each(functions.map(([name, resource]) => [name, resource] as const))(
		'%s: handler exists and its required variables are set',
		async (_, resource) => {
			const [file = '', exported = ''] = String(resource.Properties?.Handler).split('.')
			const source = readFileSync(join(root, 'examples', example, `${file}.ts`), 'utf8')
			expect(source).toMatch(new RegExp(`export const ${exported}\\b`))
			const variables =
				(resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
					?.Variables ?? {}
			for (const name of requiredVariables(source))
				expect(Object.keys(variables), `${file}.ts needs ${name}`).toContain(name)
			// Deployed from the bundle `pnpm bundle` builds from that source.
			expect(resource.Properties?.CodeUri).toBe(bundleDir)
			expect(resource.Metadata?.BuildMethod).toBeUndefined()
		},
	)

	it('refuses at deployment an empty parameter a function cannot start without', () => {
		// A required variable set from a parameter left empty fails every cold start after a
		// deployment that succeeded: CloudFormation must refuse it instead.
		const refs = (value: unknown): string[] =>
			value !== null && typeof value === 'object'
				? Object.entries(value).flatMap(([key, inner]) =>
						key === 'Ref' && typeof inner === 'string' ? [inner] : refs(inner),
					)
				: []
		const rules = JSON.stringify(template.Rules ?? {})
		for (const [name, resource] of functions) {
			const [file = ''] = String(resource.Properties?.Handler).split('.')
			const source = readFileSync(join(root, 'examples', example, `${file}.ts`), 'utf8')
			const variables =
				(resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
					?.Variables ?? {}
			for (const variable of requiredVariables(source)) {
				for (const parameter of refs(variables[variable])) {
					const declared = template.Parameters?.[parameter]
					if (declared === undefined) continue
					const refusesEmpty =
						(declared.MinLength ?? 0) >= 1 ||
						(declared.AllowedPattern !== undefined &&
							!new RegExp(declared.AllowedPattern).test('')) ||
						rules.includes(`{"Ref":"${parameter}"}`)
					expect(refusesEmpty, `${name}: ${variable} from an empty ${parameter}`).toBe(true)
				}
			}
		}
	})

	it('lets each HTTP API invoke its Lambda authorizers (SAM grants it only when asked)', () => {
		for (const resource of Object.values(template.Resources)) {
			if (resource.Type !== 'AWS::Serverless::HttpApi') continue
			const auth = resource.Properties?.Auth as
				| { Authorizers?: Record<string, Record<string, unknown>> }
				| undefined
			for (const [name, authorizer] of Object.entries(auth?.Authorizers ?? {})) {
				if (authorizer.FunctionArn === undefined) continue
				expect(
					authorizer.EnableFunctionDefaultPermissions === true ||
						authorizer.FunctionInvokeRole !== undefined,
					`${name} has no invoke permission`,
				).toBe(true)
			}
		}
	})

	it("throttles every HTTP API stage-wide, below the account's default of 10,000 a second", () => {
		const settings = template.Globals?.HttpApi?.DefaultRouteSettings as
			| Record<string, unknown>
			| undefined
		for (const limit of ['ThrottlingBurstLimit', 'ThrottlingRateLimit']) {
			expect(settings?.[limit], limit).toBeGreaterThan(0)
			expect(settings?.[limit], limit).toBeLessThan(10_000)
		}
		// An API's own DefaultRouteSettings would be merged over the global ones, its limits winning.
		for (const resource of Object.values(template.Resources))
			if (resource.Type === 'AWS::Serverless::HttpApi')
				expect(resource.Properties?.DefaultRouteSettings).toBeUndefined()
	})

	it("keeps every function's logs for a bounded time: they name tenants and subjects", () => {
		for (const [name, resource] of functions) {
			const logging = resource.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined
			const group = (logging?.LogGroup as { Ref?: string } | undefined)?.Ref
			expect(group, `${name} logs to Lambda's own group, kept forever`).toBeDefined()
			const logGroup = template.Resources[group ?? '']
			expect(logGroup?.Type).toBe('AWS::Logs::LogGroup')
			expect(logGroup?.Properties?.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' })
			// Named by CloudFormation: a fixed /aws/lambda/<name> clashes, on updating a stack whose
			// function ran before, with the group Lambda created itself.
			expect(logGroup?.Properties?.LogGroupName).toBeUndefined()
		}
	})

	it('keeps tables and secrets when the stack is deleted or they are replaced', () => {
		const stateful = Object.entries(template.Resources).filter(([, resource]) =>
			['AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret'].includes(resource.Type),
		)
		expect(stateful.length).toBeGreaterThan(0)
		for (const [name, resource] of stateful) {
			expect(resource.DeletionPolicy, name).toBe('Retain')
			expect(resource.UpdateReplacePolicy, name).toBe('Retain')
		}
	})

	it.each(functions.map(([name, resource]) => [name, resource] as const))(
		'%s: every variable its handler reads is set, and every path parameter it reads is in each of its routes',
		(_, resource) => {
			const [file = ''] = String(resource.Properties?.Handler).split('.')
			const source = readFileSync(join(root, 'examples', example, `${file}.ts`), 'utf8')
			const variables = Object.keys(
				(resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
					?.Variables ?? {},
			)
			// Optional ones too (`process.env.X ?? default`): unset, a deployment silently runs on the
			// default. AWS_* are Lambda's own.
			const read = [...source.matchAll(/process\.env\.([A-Z0-9_]+)/g)].map(([, name]) => name ?? '')
			for (const name of [...requiredVariables(source), ...read])
				if (!name.startsWith('AWS_')) expect(variables, `${file}.ts reads ${name}`).toContain(name)
			const parameters = [
				...source.matchAll(/pathParameters\?\.(\w+)|pathParameter: '(\w+)'/g),
			].map(([, a, b]) => a ?? b ?? '')
			const events = Object.values(
				(resource.Properties?.Events ?? {}) as Record<
					string,
					{ Type: string; Properties?: { Path?: string } }
				>,
			)
			for (const event of events) {
				expect(event.Type).toBe('HttpApi')
				for (const parameter of parameters)
					expect(event.Properties?.Path, `${file}.ts reads {${parameter}}`).toContain(
						`{${parameter}}`,
					)
			}
		},
	)

	it('builds every function for one architecture, arm64 or x86_64 (the bundles are plain JavaScript)', () => {
		const globals = template.Globals?.Function ?? {}
		for (const [name, resource] of functions) {
			const architectures = resource.Properties?.Architectures ?? globals.Architectures
			expect(architectures, name).toHaveLength(1)
			expect(['arm64', 'x86_64'], name).toContain((architectures as string[])[0])
		}
	})

	it("lets only a function's own role of the stack assume each IAM role, with every session tag the role's policies read and no other", () => {
		const resolver = templateResolver(template, {})
		const roles = Object.entries(template.Resources).filter(
			([, resource]) => resource.Type === 'AWS::IAM::Role',
		)
		for (const [id, role] of roles) {
			const trust = resolver.trustStatementsFor(id)
			const policies = JSON.stringify(role.Properties?.Policies ?? [])
			const tagKeys = [
				...new Set(
					[...policies.matchAll(/\$\{aws:PrincipalTag\/([^}]+)\}/g)].map(([, key]) => key ?? ''),
				),
			]
			const tags = Object.fromEntries(tagKeys.map((key) => [key, 'acme']))
			const roleArn = `arn:aws:iam::000000000000:role/${id}`
			const ask = (principal: Principal, sessionTags = tags) =>
				trusts(trust, { principal, roleArn, tags: sessionTags })
			const trusted = functions.filter(([name]) =>
				ask({ type: 'role', roleArn: resolver.functionRoleArn(name) }),
			)
			expect(trusted.length, `${id}: no function of the stack may assume it`).toBeGreaterThan(0)
			for (const [name] of trusted) {
				const principal: Principal = { type: 'role', roleArn: resolver.functionRoleArn(name) }
				for (const key of tagKeys) {
					const { [key]: _, ...without } = tags
					expect(ask(principal, without), `${id} by ${name} without ${key}`).toBe(false)
				}
				expect(ask(principal, { ...tags, other: 'x' }), `${id} by ${name}, another tag`).toBe(false)
			}
			for (const principal of [
				{ type: 'root', account: '000000000000' },
				{ type: 'role', roleArn: 'arn:aws:iam::000000000000:role/admin' },
				{ type: 'role', roleArn },
				{ type: 'service', service: 'lambda.amazonaws.com' },
			] as Principal[])
				expect(ask(principal), `${id} by ${JSON.stringify(principal)}`).toBe(false)
		}
	})

	it('grants no wildcard actions or resources', () => {
		const text = JSON.stringify(template)
		expect(text).not.toMatch(/"Action":\s*"\*"|"Resource":\s*"\*"|"[a-z0-9-]+:\*"/)
	})
})

it('parses CloudFormation tags as intrinsics', () => {
	// CloudFormation's own ${…} substitution syntax, not a JavaScript template.
	const sub = ['x-$', '{AWS::Region}'].join('')
	expect(
		parse(`a: !Ref Table\nb: !GetAtt [Role, Arn]\nc: !Sub "${sub}"`, {
			customTags: intrinsics,
		}),
	).toEqual({
		a: { Ref: 'Table' },
		b: { 'Fn::GetAtt': ['Role', 'Arn'] },
		c: { 'Fn::Sub': sub },
	})
})

describe('the bundles the templates deploy (pnpm bundle)', () => {
	const outRoot = mkdtempSync(join(tmpdir(), 'tenantry-bundles-'))
	afterAll(() => rmSync(outRoot, { recursive: true, force: true }))

	it('are built for every function, load in a fresh Node process and export its handler', async () => {
		const bundles = await bundleExamples(outRoot)
		const declared = examples.flatMap((example) =>
			exampleFunctions(example).map((fn) => ({ example, ...fn })),
		)
		expect(bundles.map((bundle) => `${bundle.example} ${bundle.function}`).sort()).toEqual(
			declared.map((fn) => `${fn.example} ${fn.name}`).sort(),
		)
		for (const bundle of bundles) {
			const { file, exported } =
				declared.find((fn) => fn.example === bundle.example && fn.name === bundle.function) ?? {}
			expect(bundle.file).toBe(join(outRoot, bundle.example, bundleDir, `${file}.mjs`))
			const script = `const m=await import(${JSON.stringify(pathToFileURL(bundle.file).href)});process.stdout.write(typeof m[${JSON.stringify(exported)}]);process.exit(0)`
			const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
				env: { PATH: process.env.PATH ?? '', ...exampleInitEnv },
				timeout: 30_000,
			})
			expect(stdout, `${bundle.example} ${bundle.function}`).toBe('function')
		}
	}, 120_000)
})
