import { execFileSync } from 'node:child_process'
import {
	cpSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleFunctions, examples } from '../examples.js'

const root = resolve(import.meta.dirname, '../..')

/**
 * A user's handlers, compiled against the built declarations as npm installs them: what each
 * middleware adds to `context` is typed without a cast; every optional option takes `undefined`
 * (what `process.env.X` or a conditional hands on, and what every factory reads as not set) under
 * `exactOptionalPropertyTypes`; and with `declaration: true` an exported handler's type can be
 * named from the packages the user installed, without `@tenantry/util`.
 */
const handler = `
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import {
	type AwsClientsOptions,
	awsClients,
	awsClientsPlugin,
	type DynamoTenantGuardOptions,
	type HttpHandlerOptions,
	type OutagesOptions,
	type SharedClientConfig,
	type TenantCredentialsOptions,
} from '@tenantry/aws-clients'
import type { TtlCacheOptions } from '@tenantry/cache'
import {
	type DynamoReplayStoreOptions,
	type HmacAuth,
	type HmacAuthHeaders,
	hmacAuth,
	type HmacAuthOptions,
	type HmacCacheOptions,
	type SecretsManagerSecrets,
	type SignRequestOptions,
} from '@tenantry/hmac-auth'
import {
	type CognitoOptions,
	type IssuerOptions,
	type JwksOptions,
	type JwtAuth,
	type JwtAuthOptions,
	jwtAuth,
} from '@tenantry/jwt-auth'
import {
	type DynamoRateLimitStoreOptions,
	type MemoryRateLimitStoreOptions,
	memoryRateLimitStore,
	type TenantRateLimitOptions,
	tenantRateLimit,
} from '@tenantry/rate-limit'
import {
	type MatchOptions,
	type TenantContext,
	type TenantIsolationOptions,
	tenantIsolation,
} from '@tenantry/tenant-isolation'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const expectType = <T extends true>(): void => undefined

/** Each optional option given as \`undefined\`, the required ones as they are. */
type Unset<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? undefined : T[K] }
type TakesUnset<T> = Unset<T> extends T ? true : false
expectType<TakesUnset<AwsClientsOptions<{ dynamodb: typeof DynamoDBClient }>>>()
expectType<TakesUnset<SharedClientConfig>>()
expectType<TakesUnset<HttpHandlerOptions>>()
expectType<TakesUnset<TenantCredentialsOptions>>()
expectType<TakesUnset<DynamoTenantGuardOptions>>()
expectType<TakesUnset<OutagesOptions>>()
expectType<TakesUnset<TtlCacheOptions>>()
expectType<TakesUnset<HmacAuthOptions>>()
expectType<TakesUnset<HmacAuthHeaders>>()
expectType<TakesUnset<SecretsManagerSecrets>>()
expectType<TakesUnset<HmacCacheOptions>>()
expectType<TakesUnset<DynamoReplayStoreOptions>>()
expectType<TakesUnset<SignRequestOptions>>()
expectType<TakesUnset<JwtAuthOptions>>()
expectType<TakesUnset<IssuerOptions>>()
expectType<TakesUnset<CognitoOptions>>()
expectType<TakesUnset<JwksOptions>>()
expectType<TakesUnset<TenantRateLimitOptions>>()
expectType<TakesUnset<DynamoRateLimitStoreOptions>>()
expectType<TakesUnset<MemoryRateLimitStoreOptions>>()
expectType<TakesUnset<TenantIsolationOptions>>()
expectType<TakesUnset<MatchOptions>>()

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>(awsClientsPlugin())
	.use(jwtAuth({ issuers: { issuer: 'https://id.example.com', audience: 'api' } }))
	.use(tenantIsolation({ match: { pathParameter: 'tenantId' } }))
	.use(tenantRateLimit({ store: memoryRateLimitStore() }))
	.use(awsClients({ clients: { dynamodb: DynamoDBClient }, tableName: process.env.DYNAMODB_TABLE_NAME }))
	.use(httpErrorHandler())
	.handler(async (_event, context) => {
		expectType<Equal<typeof context.auth, JwtAuth>>()
		expectType<Equal<typeof context.tenant, TenantContext>>()
		expectType<Equal<typeof context.clients.dynamodb, DynamoDBClient>>()
		expectType<Equal<typeof context.tableName, string | undefined>>()
		const Key = { pk: { S: context.tenant.key('ITEM', '1') } }
		await context.clients.dynamodb.send(new GetItemCommand({ TableName: context.tableName, Key }))
		return { statusCode: 200, body: context.auth.subject }
	})

export const webhook = middy()
	.use(hmacAuth({ secrets: { prefix: 'tenants' } }))
	.use(tenantRateLimit({ store: memoryRateLimitStore() }))
	.handler(async (_event, context) => {
		expectType<Equal<typeof context.auth, HmacAuth>>()
		return { statusCode: 202, body: context.auth.tenantId }
	})

// @ts-expect-error a misspelt option is refused, not ignored
jwtAuth({ issuers: { issuer: 'https://id.example.com', audience: 'api' }, clockTolerance: 5 })
`

/** The strict settings users turn on, and `skipLibCheck: false` so our declarations are checked too. */
const strict = {
	target: 'es2022',
	lib: ['es2023'],
	strict: true,
	exactOptionalPropertyTypes: true,
	noUncheckedIndexedAccess: true,
	verbatimModuleSyntax: true,
	skipLibCheck: false,
	declaration: true,
	emitDeclarationOnly: true,
	rootDir: '/',
	types: ['node'],
}
const settings: Record<string, Record<string, unknown>> = {
	nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
	bundler: { module: 'preserve', moduleResolution: 'bundler' },
}

/** The peers the consumer installs, as the workspace installed them. */
const peers: [name: string, from: string][] = [
	['@middy/core', 'packages/aws-clients'],
	['@middy/http-error-handler', 'packages/aws-clients'],
	['@aws-sdk/client-dynamodb', 'packages/aws-clients'],
	['@aws-sdk/client-secrets-manager', 'packages/aws-clients'],
	['@aws-sdk/client-sts', 'packages/aws-clients'],
	['@smithy/node-http-handler', 'packages/aws-clients'],
	['jose', '.'],
	['@types/aws-lambda', '.'],
	['@types/node', '.'],
]

interface Manifest {
	name: string
	dependencies?: Record<string, string>
	publishConfig: { exports: unknown }
}

let consumer: string

describe('published declarations, in a strict consumer project', () => {
	beforeAll(() => {
		execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b'], { cwd: root, stdio: 'pipe' })
		consumer = mkdtempSync(join(tmpdir(), 'tenantry-consumer-types-'))
		const link = (path: string, target: string) => {
			mkdirSync(dirname(path), { recursive: true })
			symlinkSync(target, path)
		}
		// pnpm's layout: each package in a store folder of its own with its dependencies beside
		// it, and only what the user installed in node_modules (not `@tenantry/util`).
		const store = join(consumer, 'node_modules/.store')
		const manifests = readdirSync(join(root, 'packages')).map((dir): [string, Manifest] => [
			dir,
			JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
		])
		const folderOf = (name: string) => join(store, name.replace('/', '+'), 'node_modules')
		const homeOf = (name: string) => join(folderOf(name), name)
		for (const [dir, manifest] of manifests) {
			const home = homeOf(manifest.name)
			cpSync(join(root, 'packages', dir, 'dist'), join(home, 'dist'), { recursive: true })
			// What pnpm packs: `publishConfig.exports`, without the `@tenantry/source` condition.
			const packed = { ...manifest, exports: manifest.publishConfig.exports }
			writeFileSync(join(home, 'package.json'), JSON.stringify(packed))
			for (const dependency of Object.keys(manifest.dependencies ?? {})) {
				link(join(folderOf(manifest.name), dependency), homeOf(dependency))
			}
			if (manifest.name !== '@tenantry/util') {
				link(join(consumer, 'node_modules', manifest.name), home)
			}
		}
		for (const [name, from] of peers) {
			link(join(consumer, 'node_modules', name), join(root, from, 'node_modules', name))
		}
		writeFileSync(join(consumer, 'package.json'), '{ "type": "module" }\n')
		writeFileSync(join(consumer, 'handler.ts'), handler)
	}, 120_000)
	afterAll(() => rmSync(consumer, { recursive: true, force: true }))

	/** Our files' errors from `tsc` over `files` with `settings[name]`. */
	const typeErrors = (name: string, files: string[]): string[] => {
		const config = join(consumer, `tsconfig.${name}.json`)
		writeFileSync(
			config,
			JSON.stringify({
				compilerOptions: { ...strict, ...settings[name], outDir: join(consumer, 'out', name) },
				files,
			}),
		)
		let output = ''
		try {
			execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', config], { encoding: 'utf8' })
		} catch (error) {
			output = String((error as { stdout?: unknown }).stdout ?? error)
		}
		// Third-party declarations have their own faults (the README names @middy/core's).
		return output
			.split('\n')
			.filter((line) => /error TS\d+/.test(line))
			.filter((line) => !line.includes('node_modules/') || line.includes('node_modules/@tenantry/'))
	}

	it.each(Object.keys(settings))('a handler compiles with %s resolution', (name) => {
		expect(typeErrors(name, [join(consumer, 'handler.ts')])).toEqual([])
	})

	// The examples are what users copy. A program of their own: they resolve the workspace's
	// packages (`dist/` all the same), which would also let the handler above name @tenantry/util.
	it('the examples compile with the same settings', () => {
		const sources = examples.flatMap((example) => exampleFunctions(example).map((f) => f.source))
		expect(typeErrors('nodenext', sources)).toEqual([])
	})
})
