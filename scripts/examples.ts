import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse, type Tags } from 'yaml'

export const root = resolve(import.meta.dirname, '..')

/** The example directories under `examples/`. */
export const examples = readdirSync(join(root, 'examples'))

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
export const intrinsics: Tags = intrinsicNames.flatMap((name): Tags => {
	const wrap = (value: unknown) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: value })
	const collection = (node: { toJSON(): unknown }) => wrap(node.toJSON())
	return [
		{ tag: `!${name}`, resolve: (value: string) => wrap(value) },
		{ tag: `!${name}`, collection: 'seq', resolve: collection },
		{ tag: `!${name}`, collection: 'map', resolve: collection },
	]
})

export interface TemplateParameter {
	Type: string
	Default?: unknown
	MinLength?: number
	AllowedPattern?: string
}

export interface Template {
	Parameters?: Record<string, TemplateParameter>
	Rules?: Record<string, unknown>
	Globals?: { Function?: Record<string, unknown>; HttpApi?: Record<string, unknown> }
	Resources: Record<
		string,
		{
			Type: string
			Properties?: Record<string, unknown>
			Metadata?: Record<string, unknown>
			DeletionPolicy?: string
			UpdateReplacePolicy?: string
		}
	>
}

export const templateOf = (example: string): Template =>
	parse(readFileSync(join(root, 'examples', example, 'template.yaml'), 'utf8'), {
		customTags: intrinsics,
	}) as Template

/**
 * The directory a template's functions are deployed from: one bundle per function, built by
 * `pnpm bundle` from the TypeScript file of the same name beside the template.
 */
export const bundleDir = 'dist'

export interface ExampleFunction {
	/** The resource's logical id. */
	name: string
	/** The handler module's name: `handler` for `Handler: handler.handler`. */
	file: string
	/** The exported function Lambda calls. */
	exported: string
	/** The TypeScript source the bundle is built from. */
	source: string
	resource: Template['Resources'][string]
}

/** The functions a template declares, with the source each one's bundle is built from. */
export const exampleFunctions = (example: string): ExampleFunction[] =>
	Object.entries(templateOf(example).Resources)
		.filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
		.map(([name, resource]) => {
			const [file = '', exported = ''] = String(resource.Properties?.Handler).split('.')
			return {
				name,
				file,
				exported,
				source: join(root, 'examples', example, `${file}.ts`),
				resource,
			}
		})

/**
 * What the examples' module init needs to run without failing: configuration, and endpoints on
 * a closed loopback port, so prefetches start and fail without ever blocking evaluation.
 */
export const exampleInitEnv: Record<string, string> = {
	AWS_REGION: 'us-east-1',
	AWS_ACCESS_KEY_ID: 'AKIALOCALSTACK000000',
	AWS_SECRET_ACCESS_KEY: 'local',
	AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
	AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
	AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
	ISSUER: 'http://127.0.0.1:9',
	AUDIENCE: 'api',
	DYNAMODB_TABLE_NAME: 'items',
	TENANT_ROLE_ARN: 'arn:aws:iam::000000000000:role/tenant-data',
	SECRET_PREFIX: 'tenants',
	REPLAY_TABLE_NAME: 'replay',
	PSEUDONYM_KEY_SECRET_ID: 'pseudonym-key',
}
