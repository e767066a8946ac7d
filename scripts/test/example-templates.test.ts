import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, type Tags } from 'yaml'

const root = resolve(import.meta.dirname, '../..')
const examples = readdirSync(join(root, 'examples'))

/** CloudFormation's short-form intrinsics, kept as `{ Ref: … }` / `{ 'Fn::Sub': … }` objects. */
const intrinsicNames = [
	'Ref',
	'Sub',
	'GetAtt',
	'Join',
	'If',
	'Select',
	'Split',
	'Equals',
	'Not',
	'And',
	'Or',
	'FindInMap',
	'ImportValue',
	'Base64',
	'Cidr',
	'GetAZs',
]
const intrinsics: Tags = intrinsicNames.flatMap((name): Tags => {
	const wrap = (value: unknown) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: value })
	const collection = (node: { toJSON(): unknown }) => wrap(node.toJSON())
	return [
		{ tag: `!${name}`, resolve: (value: string) => wrap(value) },
		{ tag: `!${name}`, collection: 'seq', resolve: collection },
		{ tag: `!${name}`, collection: 'map', resolve: collection },
	]
})

interface Template {
	Globals?: { Function?: Record<string, unknown> }
	Resources: Record<
		string,
		{ Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
	>
}

const templateOf = (example: string): Template =>
	parse(readFileSync(join(root, 'examples', example, 'template.yaml'), 'utf8'), {
		customTags: intrinsics,
	}) as Template

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
			const entry = (resource.Metadata?.BuildProperties as { EntryPoints?: string[] } | undefined)
				?.EntryPoints
			expect(entry).toEqual([`${file}.ts`])
		},
	)

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
