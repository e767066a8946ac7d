import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaults, type HmacAuthOptions, hmacAuth } from '../src/index.js'

const secrets = async () => 's'
let savedPrefix: string | undefined

beforeEach(() => {
	savedPrefix = process.env.SECRET_PREFIX
	delete process.env.SECRET_PREFIX
})
afterEach(() => {
	if (savedPrefix !== undefined) process.env.SECRET_PREFIX = savedPrefix
})

describe('hmacAuth options', () => {
	it('lists every option with its default', () => {
		expect(defaults).toMatchObject({
			scheme: 'tenantry',
			secrets: { field: 'shared_secret', previousField: 'previous_shared_secret' },
			cache: {
				ttlMs: 300_000,
				staleIfErrorMs: 3_600_000,
				maxEntries: 1_000,
				refetchGraceMs: 5_000,
			},
			toleranceSec: 300,
			maxBodyBytes: 1_048_576,
			realm: 'api',
			retryAfterSec: 5,
		})
		expect(defaults.tenantIdPattern.source).toBe('^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$')
		expect(defaults.headers.tenantry).toEqual({
			tenantId: 'x-tenant-id',
			timestamp: 'x-timestamp',
			signature: 'x-signature',
		})
	})

	it('needs a secret prefix (option or SECRET_PREFIX) unless secrets is a function', () => {
		expect(() => hmacAuth()).toThrow(
			"@tenantry/hmac-auth: option 'secrets.prefix' is required: pass it or set SECRET_PREFIX (or pass a secrets function)",
		)
		process.env.SECRET_PREFIX = 'tenants'
		expect(() => hmacAuth()).not.toThrow()
		expect(() => hmacAuth({ secrets })).not.toThrow()
		expect(() => hmacAuth({ secrets: { prefix: 'tenants/hmac' } })).not.toThrow()
		expect(() =>
			hmacAuth({ secrets, cache: { ttlMs: undefined, staleIfErrorMs: undefined } }),
		).not.toThrow()
	})

	const bad: [string, HmacAuthOptions | unknown][] = [
		['', null],
		['nope', { secrets, nope: 1 }],
		['scheme', { secrets, scheme: 'stripe' }],
		['scheme.encoding', { secrets, scheme: { canonicalize: () => undefined, encoding: 'hex64' } }],
		['scheme.canonicalize', { secrets, scheme: { encoding: 'hex' } }],
		[
			'scheme.canonicalize',
			{ secrets, scheme: { canonicalize: async () => undefined, encoding: 'hex' } },
		],
		[
			'scheme.algorithm',
			{ secrets, scheme: { canonicalize: () => undefined, encoding: 'hex', algorithm: 'md5' } },
		],
		[
			'scheme.secretEncoding',
			{
				secrets,
				scheme: { canonicalize: () => undefined, encoding: 'hex', secretEncoding: 'hex' },
			},
		],
		[
			'scheme.requireTimestamp',
			{
				secrets,
				scheme: { canonicalize: () => undefined, encoding: 'hex', requireTimestamp: 'no' },
			},
		],
		[
			'scheme.challenge',
			{ secrets, scheme: { canonicalize: () => undefined, encoding: 'hex', challenge: 'bad\n' } },
		],
		[
			'scheme.extra',
			{ secrets, scheme: { canonicalize: () => undefined, encoding: 'hex', extra: 1 } },
		],
		['headers', { secrets, headers: 'x' }],
		['headers.signature', { secrets, headers: { signature: 'x signature' } }],
		['headers.id', { secrets, headers: { id: 'webhook-id' } }],
		[
			'headers.timestamp',
			{
				secrets,
				scheme: { canonicalize: () => undefined, encoding: 'hex' },
				headers: { timestamp: 'x-ts' },
			},
		],
		['secrets', { secrets: 'tenants' }],
		['secrets.prefix', { secrets: { prefix: 'tenants/' } }],
		['secrets.prefix', { secrets: { prefix: 'ten ants' } }],
		['secrets.field', { secrets: { prefix: 'p', field: '' } }],
		['secrets.previousField', { secrets: { prefix: 'p', previousField: 'shared_secret' } }],
		['secrets.client', { secrets: { prefix: 'p', client: {} } }],
		['secrets.region', { secrets: { prefix: 'p', region: 'eu-west-1' } }],
		['cache', { secrets, cache: 1 }],
		['cache.ttlMs', { secrets, cache: { ttlMs: 0 } }],
		['cache.staleIfErrorMs', { secrets, cache: { staleIfErrorMs: -1 } }],
		['cache.negativeTtlMs', { secrets, cache: { negativeTtlMs: Number.NaN } }],
		['cache.maxEntries', { secrets, cache: { maxEntries: 1.5 } }],
		['cache.refetchGraceMs', { secrets, cache: { refetchGraceMs: 0 } }],
		['cache.ttl', { secrets, cache: { ttl: 1 } }],
		['toleranceSec', { secrets, toleranceSec: 0 }],
		['toleranceSec', { secrets, toleranceSec: 86_401 }],
		['tenantIdPattern', { secrets, tenantIdPattern: '^[a-z]+$' }],
		['tenantIdFrom', { secrets, tenantIdFrom: 'tenant' }],
		['tenantIdFrom', { secrets, tenantIdFrom: async () => 'acme' }],
		['maxBodyBytes', { secrets, maxBodyBytes: 0 }],
		['replayStore', { secrets, replayStore: {} }],
		['tracer', { secrets, tracer: {} }],
		['realm', { secrets, realm: 'a"b' }],
		['retryAfterSec', { secrets, retryAfterSec: 0.5 }],
		['retryAfterSec', { secrets, retryAfterSec: 1e21 }],
		['retryAfterSec', { secrets, retryAfterSec: 86_401 }],
		['now', { secrets, now: 5 }],
	]

	it.each(bad)(
		"rejects a bad '%s' at factory time with a TypeError naming it",
		(option, options) => {
			let thrown: unknown
			try {
				hmacAuth(options as HmacAuthOptions)
			} catch (error) {
				thrown = error
			}
			expect(thrown).toBeInstanceOf(TypeError)
			expect((thrown as Error).message).toMatch(/^@tenantry\/hmac-auth: option '/)
			expect((thrown as Error).cause).toEqual({
				package: '@tenantry/hmac-auth',
				option: option || 'options',
			})
		},
	)

	// `HmacAuthHeaders` types every scheme's headers as optional, and `process.env.X` may be unset.
	it('reads a header given as undefined as not set, also one its scheme does not have', () => {
		expect(() =>
			hmacAuth({ secrets, headers: { tenantId: undefined, id: undefined } }),
		).not.toThrow()
		expect(() =>
			hmacAuth({
				secrets,
				scheme: { canonicalize: () => undefined, encoding: 'hex' },
				headers: { timestamp: undefined, signature: undefined },
			}),
		).not.toThrow()
	})

	it('anchors a custom tenantIdPattern', async () => {
		const mw = hmacAuth({ secrets, tenantIdPattern: /[a-z]+/ })
		expect(mw.before).toBeTypeOf('function')
	})
})
