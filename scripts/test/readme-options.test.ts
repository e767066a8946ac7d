import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

type Options = Record<string, unknown>
type Factory = (options: Options) => unknown

/** A package's factories, each called with the least it needs, and its option groups. */
interface Spec {
	/** The middleware or factory the README's main options table documents. */
	main: (module: Options) => { create: Factory; minimal: Options }
	/**
	 * Options whose fields are options in their own right, with their defaults: each field is a
	 * row (`jwks.timeoutMs`, or a row of a table introduced by `` `tenantCredentials`: ``), or
	 * is spelt out in the group's default cell (`{ retryAfterSec: 5 }`).
	 */
	groups?: (module: Options) => Record<string, Options>
	/**
	 * Factories documented under a `` ### `name(options)` `` heading, with the `defaults` object
	 * the package exports for each (CONTRIBUTING: every factory's options have one).
	 */
	others?: (
		module: Options,
	) => Record<string, { create: Factory; minimal: Options; defaults?: Options }>
}

const fn = (module: Options, name: string): Factory => module[name] as Factory

const specs: Record<string, Spec> = {
	'aws-clients': {
		main: (m) => ({
			create: fn(m, 'awsClients'),
			minimal: {
				clients: {
					dynamodb: class Client {
						send() {}
					},
				},
				config: { region: 'eu-west-1' },
				tenantCredentials: { roleArn: 'arn:aws:iam::123456789012:role/tenant' },
				tableName: 'items',
			},
		}),
		groups: (m) => ({
			httpHandler: m.httpHandlerDefaults as Options,
			tenantCredentials: m.tenantCredentialsDefaults as Options,
			dynamoTenantGuard: m.guardDefaults as Options,
			outages: m.outagesDefaults as Options,
		}),
	},
	cache: { main: (m) => ({ create: fn(m, 'createTtlCache'), minimal: { ttlMs: 1_000 } }) },
	'hmac-auth': {
		main: (m) => ({ create: fn(m, 'hmacAuth'), minimal: { secrets: { prefix: 'tenants' } } }),
		groups: (m) => {
			const { secrets, cache } = m.defaults as { secrets: Options; cache: Options }
			return { secrets, cache }
		},
	},
	'jwt-auth': {
		main: (m) => ({
			create: fn(m, 'jwtAuth'),
			minimal: { issuers: { issuer: 'https://id.example.com', audience: 'api' }, prefetch: false },
		}),
		groups: (m) => ({ jwks: (m.defaults as { jwks: Options }).jwks }),
	},
	'rate-limit': {
		main: (m) => ({
			create: fn(m, 'tenantRateLimit'),
			minimal: { store: fn(m, 'memoryRateLimitStore')({}) },
		}),
		others: (m) => ({
			dynamoRateLimitStore: {
				create: fn(m, 'dynamoRateLimitStore'),
				minimal: { tableName: 'counters', client: { send() {} } },
				defaults: m.dynamoRateLimitStoreDefaults as Options,
			},
			memoryRateLimitStore: {
				create: fn(m, 'memoryRateLimitStore'),
				minimal: {},
				defaults: m.memoryRateLimitStoreDefaults as Options,
			},
		}),
	},
	'tenant-isolation': { main: (m) => ({ create: fn(m, 'tenantIsolation'), minimal: {} }) },
}

interface Row {
	/** `''` for the main factory, else the name of the factory a `###` heading documents. */
	factory: string
	/** Dotted path: `jwks.timeoutMs`, `issuers[].audience`, `tenantCredentials.roleArn`. */
	option: string
	/** The default cell, as written. */
	default: string
}

const cells = (line: string): string[] =>
	line
		.replace(/^\|/, '')
		.replace(/\|$/, '')
		.split(/(?<!\\)\|/)
		.map((cell) => cell.trim())

/**
 * The rows of every table whose first column is `option` under `## Options`: a table right after
 * a line `` `group`: `` documents that group's fields, one under `` ### `name(options)` `` that
 * factory's options.
 */
const optionRows = (markdown: string): Row[] => {
	const rows: Row[] = []
	const lines = markdown.split('\n')
	let inOptions = false
	let factory = ''
	let prefix = ''
	let inTable = false
	let previous = ''
	for (const line of lines) {
		if (line.startsWith('## ')) {
			inOptions = line.trim() === '## Options'
			factory = ''
		} else if (line.startsWith('### ')) factory = /^### `(\w+)\(/.exec(line)?.[1] ?? 'unknown'
		if (!inOptions) {
			if (line.trim() !== '') previous = line.trim()
			continue
		}
		if (!line.startsWith('|')) {
			inTable = false
			if (line.trim() !== '') previous = line.trim()
			continue
		}
		const [first = '', second = ''] = cells(line)
		if (!inTable) {
			inTable = first === 'option'
			prefix = /^`(\w+)`:$/.exec(previous)?.[1] ?? ''
			continue
		}
		if (/^-+$/.test(first)) continue
		for (const [, name] of first.matchAll(/`([^`]+)`/g)) {
			const option = prefix === '' ? (name ?? '') : `${prefix}.${name}`
			rows.push({ factory, option, default: second })
		}
		previous = line.trim()
	}
	return rows
}

/** The options with `path` present, left as `minimal` sets it or `undefined` (its default). */
const withOption = (minimal: Options, path: string): Options => {
	const options = structuredCloneOptions(minimal)
	const keys = path.replaceAll('[]', '').split('.')
	let target = options
	for (const [index, key] of keys.entries()) {
		if (index === keys.length - 1) {
			if (!Object.hasOwn(target, key)) target[key] = undefined
		} else {
			const next = target[key]
			target[key] = typeof next === 'object' && next !== null ? { ...next } : {}
			target = target[key] as Options
		}
	}
	return options
}

/** A shallow copy per level of plain objects (classes, clients and functions kept as they are). */
const structuredCloneOptions = (options: Options): Options =>
	Object.fromEntries(
		Object.entries(options).map(([key, value]) => [
			key,
			value !== null &&
			typeof value === 'object' &&
			Object.getPrototypeOf(value) === Object.prototype
				? structuredCloneOptions(value as Options)
				: value,
		]),
	)

/** What the factory says about an option it does not know; `undefined` if it took the options. */
const unknownOptionError = (create: Factory, options: Options): string | undefined => {
	try {
		create(options)
		return undefined
	} catch (error) {
		const message = String((error as Error).message)
		return /is not a known option/.test(message) ? message : undefined
	}
}

/** A default cell as the value it states: `'api'` → api, `600_000` and `1,000` → digits. */
const cellValue = (cell: string): string =>
	cell
		.replaceAll('`', '')
		.trim()
		.replace(/^'(.*)'$/, '$1')
		.replace(/(?<=\d)[_,](?=\d)/g, '')

/** `field: value` pairs of a default cell such as `` `{ maxSockets: 50, requestTimeout: 3000 }` ``. */
const literalFields = (cell: string): Map<string, string> =>
	new Map(
		[...cell.matchAll(/(\w+): ([^,}]+)/g)].map(([, field, value]) => [
			field ?? '',
			cellValue(value ?? ''),
		]),
	)

const isPrimitive = (value: unknown): value is string | number | boolean =>
	typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'

/**
 * CONTRIBUTING: "README.md — what it does, example, options table"; each README says
 * `defaults` lists them. A user reads the table, not the source, so the two must agree both
 * ways: every option of `defaults` (and every field of an option group) has a row stating its
 * default, and every row names an option the factory accepts.
 */
describe.each(Object.keys(specs))('packages/%s/README.md options table', (name) => {
	const spec = specs[name] as Spec
	const load = async () => {
		const module = (await import(join(root, 'packages', name, 'src/index.ts'))) as Options
		const rows = optionRows(readFileSync(join(root, 'packages', name, 'README.md'), 'utf8'))
		return { module, rows, main: rows.filter((row) => row.factory === '') }
	}

	it('has a row for every key of `defaults`, and for every field of an option group', async () => {
		const { module, main } = await load()
		const groups = spec.groups?.(module) ?? {}
		const names = new Set(main.map((row) => row.option.replaceAll('[]', '')))
		const documented = (option: string) =>
			names.has(option) || [...names].some((row) => row.startsWith(`${option}.`))
		const defaults = module.defaults as Options
		expect(Object.keys(defaults).filter((option) => !documented(option))).toEqual([])
		for (const [group, fields] of Object.entries(groups)) {
			const literal = literalFields(main.find((row) => row.option === group)?.default ?? '')
			const missing = Object.keys(fields).filter(
				(field) => !names.has(`${group}.${field}`) && !literal.has(field),
			)
			expect(missing, `fields of ${group}`).toEqual([])
		}
	})

	it('states the default of every option whose default is a plain value', async () => {
		const { module, main } = await load()
		const expected = new Map<string, unknown>(Object.entries(module.defaults as Options))
		for (const [group, fields] of Object.entries(spec.groups?.(module) ?? {})) {
			const literal = literalFields(main.find((row) => row.option === group)?.default ?? '')
			for (const [field, value] of Object.entries(fields)) {
				if (literal.has(field) && isPrimitive(value))
					expect(literal.get(field), `${group}.${field}`).toBe(String(value))
				expected.set(`${group}.${field}`, value)
			}
		}
		for (const row of main) {
			const value = expected.get(row.option)
			if (isPrimitive(value)) expect(cellValue(row.default), row.option).toBe(String(value))
		}
	})

	it("lists in `defaults` (or its group's defaults) every option documented, but required ones", async () => {
		const { module, main } = await load()
		const defaults = module.defaults as Options
		const groups = spec.groups?.(module) ?? {}
		const missing = main.flatMap((row) => {
			if (cellValue(row.default) === 'required') return []
			const [top = '', field] = row.option.replaceAll('[]', '').split('.')
			const group = groups[top]
			if (field !== undefined && group !== undefined) return field in group ? [] : [row.option]
			return top in defaults ? [] : [row.option]
		})
		expect(missing).toEqual([])
	})

	it('exports the defaults of every other factory, each documented with its value', async () => {
		const { module, rows } = await load()
		for (const [factory, { defaults }] of Object.entries(spec.others?.(module) ?? {})) {
			expect(defaults, `${factory}: its defaults export`).toBeTypeOf('object')
			const own = rows.filter((row) => row.factory === factory)
			const documented = new Set(own.map((row) => row.option))
			expect(
				Object.keys(defaults ?? {}).filter((option) => !documented.has(option)),
				`${factory}: defaults without a row`,
			).toEqual([])
			for (const row of own) {
				if (cellValue(row.default) === 'required') continue
				expect(Object.keys(defaults ?? {}), `${factory}: row without a default`).toContain(
					row.option,
				)
				const value = defaults?.[row.option]
				if (isPrimitive(value))
					expect(cellValue(row.default), `${factory} ${row.option}`).toBe(String(value))
			}
		}
	})

	it('documents only options the factory accepts', async () => {
		const { module, rows } = await load()
		const factories = { '': spec.main(module), ...(spec.others?.(module) ?? {}) }
		expect(rows.map((row) => row.factory).filter((factory) => !(factory in factories))).toEqual([])
		const refused = rows.flatMap((row) => {
			const { create, minimal } = factories[row.factory as keyof typeof factories]
			const error = unknownOptionError(create, withOption(minimal, row.option))
			return error === undefined ? [] : [`${row.factory || 'main'}: ${error}`]
		})
		expect(refused).toEqual([])
	})

	it('(the probe above reaches each table: a made-up option is refused there)', async () => {
		const { module, rows } = await load()
		const factories = { '': spec.main(module), ...(spec.others?.(module) ?? {}) }
		const places = new Set(rows.map((row) => `${row.factory}|${row.option.replace(/[^.]*$/, '')}`))
		for (const place of places) {
			const [factory = '', prefix = ''] = place.split('|')
			const { create, minimal } = factories[factory as keyof typeof factories]
			expect(
				unknownOptionError(create, withOption(minimal, `${prefix}notAnOption`)),
				`${factory || 'main'} ${prefix}`,
			).toMatch(/notAnOption' is not a known option/)
		}
	})
})
