import { afterEach, describe, expect, it } from 'vitest'
import { defaults, type JwtAuthOptions, jwtAuth, supportedAlgorithms } from '../src/index.js'
import { resolveOptions } from '../src/options.js'

const issuer = 'https://auth.example.com'
const valid = (overrides: Record<string, unknown> = {}): JwtAuthOptions =>
	({ issuers: { issuer, audience: 'api' }, prefetch: false, ...overrides }) as JwtAuthOptions
const cognito = (overrides: Record<string, unknown> = {}) =>
	valid({
		issuers: undefined,
		cognito: { userPoolId: 'eu-west-1_Abc123', clientId: 'web', tokenUse: 'access', ...overrides },
	})

const savedEnv = { ...process.env }
afterEach(() => {
	process.env = { ...savedEnv }
})

describe('factory-time validation', () => {
	it.each<[string, unknown, string]>([
		['options that are not an object', 'https://auth.example.com', 'options'],
		['an unknown option (typo)', valid({ audience: 'api' }), 'audience'],
		['no issuer at all', { prefetch: false }, 'issuers'],
		['an empty issuer', valid({ issuers: { issuer: '', audience: 'api' } }), 'issuers.issuer'],
		[
			'an unknown issuer option',
			valid({ issuers: { issuer, audience: 'api', aud: 'x' } }),
			'issuers.aud',
		],
		['audience left out', valid({ issuers: { issuer } }), 'issuers.audience'],
		[
			'an empty issuer typ',
			valid({ issuers: { issuer, audience: 'api', typ: '' } }),
			'issuers.typ',
		],
		['a typ that is not a string', valid({ typ: 9068 }), 'typ'],
		['a clock tolerance in milliseconds', valid({ clockToleranceSec: 5_000 }), 'clockToleranceSec'],
		[
			'an empty audience list',
			valid({ issuers: [{ issuer, audience: [] }] }),
			'issuers[0].audience',
		],
		[
			'an audience that is not a string',
			valid({ issuers: { issuer, audience: [1] } }),
			'issuers.audience[0]',
		],
		[
			'a jwksUri over http',
			valid({ issuers: { issuer, audience: 'api', jwksUri: 'http://auth.example.com/jwks' } }),
			'issuers.jwksUri',
		],
		[
			'a jwksUri that is not a URL',
			valid({ issuers: { issuer, audience: 'api', jwksUri: '/jwks' } }),
			'issuers.jwksUri',
		],
		[
			'an http issuer whose JWKS URI would be derived',
			valid({ issuers: { issuer: 'http://auth.example.com', audience: 'api' } }),
			'issuers.issuer',
		],
		[
			'the same issuer twice',
			valid({
				issuers: [
					{ issuer, audience: 'a' },
					{ issuer, audience: 'b' },
				],
			}),
			'issuers',
		],
		[
			"a Cognito pool's updated issuer also listed under issuers",
			{
				prefetch: false,
				cognito: { userPoolId: 'us-east-1_One', clientId: 'app', tokenUse: 'access' },
				issuers: {
					issuer: 'https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_One',
					audience: 'app',
				},
			},
			'issuers',
		],
		['alg none', valid({ algorithms: ['none'] }), 'algorithms'],
		['HS256', valid({ algorithms: ['RS256', 'HS256'] }), 'algorithms'],
		[
			'HS256 for one issuer',
			valid({ issuers: { issuer, audience: 'api', algorithms: ['HS256'] } }),
			'issuers.algorithms',
		],
		['an unsupported algorithm', valid({ algorithms: ['RS1'] }), 'algorithms'],
		['an empty algorithm list', valid({ algorithms: [] }), 'algorithms'],
		['a negative clock tolerance', valid({ clockToleranceSec: -1 }), 'clockToleranceSec'],
		['a zero maxTokenAgeSec', valid({ maxTokenAgeSec: 0 }), 'maxTokenAgeSec'],
		['requireExp that is not a boolean', valid({ requireExp: 'no' }), 'requireExp'],
		['requiredClaims that is not an array', valid({ requiredClaims: 'jti' }), 'requiredClaims'],
		['an empty required claim', valid({ requiredClaims: [''] }), 'requiredClaims[0]'],
		['an empty typ', valid({ typ: '' }), 'typ'],
		[
			'a scope with a space',
			valid({ requiredScopes: ['items:read items:write'] }),
			'requiredScopes[0]',
		],
		['a scope with a quote', valid({ requiredScopes: ['a"b'] }), 'requiredScopes[0]'],
		['an empty tenant claim list', valid({ tenantClaim: [] }), 'tenantClaim'],
		['tenantRequired that is not a boolean', valid({ tenantRequired: 1 }), 'tenantRequired'],
		[
			'a tenant pattern given as a string',
			valid({ tenantIdPattern: '^[a-z]+$' }),
			'tenantIdPattern',
		],
		[
			'a header name with a space',
			valid({ tokenSource: { header: 'x token' } }),
			'tokenSource.header',
		],
		['both header and cookie', valid({ tokenSource: { header: 'x', cookie: 'y' } }), 'tokenSource'],
		['a token source that is a string', valid({ tokenSource: 'authorization' }), 'tokenSource'],
		['an async token source', valid({ tokenSource: async () => 'token' }), 'tokenSource'],
		[
			'a cookieFetchSite that is none of its values',
			valid({ tokenSource: { cookie: 'session' }, cookieFetchSite: 'refuse' }),
			'cookieFetchSite',
		],
		[
			'a cookieFetchSite without a cookie token source (it would check nothing)',
			valid({ cookieFetchSite: 'same-origin' }),
			'cookieFetchSite',
		],
		[
			'a cookie name beside cookieFetchSite inside tokenSource',
			valid({ tokenSource: { cookie: 'session', cookieFetchSite: 'any' } }),
			'tokenSource',
		],
		['a realm with a quote', valid({ realm: 'a"b' }), 'realm'],
		['a zero JWKS timeout', valid({ jwks: { timeoutMs: 0 } }), 'jwks.timeoutMs'],
		['a fractional maxBytes', valid({ jwks: { maxBytes: 1.5 } }), 'jwks.maxBytes'],
		['a negative cooldown', valid({ jwks: { cooldownMs: -1 } }), 'jwks.cooldownMs'],
		['an unknown JWKS option', valid({ jwks: { ttl: 1 } }), 'jwks.ttl'],
		['prefetch that is not a boolean', valid({ prefetch: 'yes' }), 'prefetch'],
		['verifiedTokenCache true', valid({ verifiedTokenCache: true }), 'verifiedTokenCache'],
		[
			'a zero-entry token cache',
			valid({ verifiedTokenCache: { maxEntries: 0 } }),
			'verifiedTokenCache.maxEntries',
		],
		['a tracer that is not one', valid({ tracer: {} }), 'tracer'],
		['a clock that is not a function', valid({ now: 5 }), 'now'],
		['a malformed user pool id', cognito({ userPoolId: 'pool' }), 'cognito.userPoolId'],
		['a Cognito tokenUse of refresh', cognito({ tokenUse: 'refresh' }), 'cognito.tokenUse'],
		['a Cognito clientId left out', cognito({ clientId: undefined }), 'cognito.clientId'],
		['empty Cognito groups', cognito({ groups: [] }), 'cognito.groups'],
		['an unknown Cognito option', cognito({ region: 'eu-west-1' }), 'cognito.region'],
		[
			'a Cognito jwksUri over http',
			cognito({ jwksUri: 'http://example.com/jwks' }),
			'cognito.jwksUri',
		],
	])('refuses %s, naming the option', (_name, options, option) => {
		let thrown: unknown
		try {
			jwtAuth(options as JwtAuthOptions)
		} catch (error) {
			thrown = error
		}
		expect(thrown).toBeInstanceOf(TypeError)
		expect((thrown as Error).message).toContain(`'${option}'`)
		expect((thrown as Error).cause).toEqual({ package: '@tenantry/jwt-auth', option })
	})

	it('refuses a Cognito pool without userPoolId or COGNITO_USER_POOL_ID', () => {
		delete process.env.COGNITO_USER_POOL_ID
		expect(() => jwtAuth(cognito({ userPoolId: undefined }))).toThrow(/'cognito.userPoolId'/)
	})

	it('refuses a pool id without a region prefix when AWS_REGION is unset', () => {
		delete process.env.AWS_REGION
		expect(() => jwtAuth(cognito({ userPoolId: 'local_Abc' }))).toThrow(/no region prefix/)
	})

	it('allows http only for loopback JWKS hosts', () => {
		for (const host of ['localhost:8080', '127.0.0.1:9000', '127.10.0.3', '[::1]:4000']) {
			const jwksUri = `http://${host}/jwks.json`
			expect(() =>
				jwtAuth(valid({ issuers: { issuer: `http://${host}`, audience: 'api', jwksUri } })),
			).not.toThrow()
		}
		expect(() =>
			jwtAuth(
				valid({
					issuers: { issuer, audience: 'api', jwksUri: 'http://127.0.0.1.evil.example/jwks' },
				}),
			),
		).toThrow(/'issuers.jwksUri'/)
	})
})

describe('resolved options', () => {
	it('takes the JWKS default for an option given as undefined', () => {
		const { jwks } = resolveOptions(valid({ jwks: { timeoutMs: undefined, cooldownMs: 5_000 } }))
		expect(jwks).toMatchObject({ timeoutMs: defaults.jwks.timeoutMs, cooldownMs: 5_000 })
	})

	it('takes the default maxEntries for a verifiedTokenCache given without one', () => {
		for (const verifiedTokenCache of [{}, { maxEntries: undefined }])
			expect(resolveOptions(valid({ verifiedTokenCache })).verifiedTokenCacheEntries).toBe(
				defaults.verifiedTokenCache.maxEntries,
			)
		expect(
			resolveOptions(valid({ verifiedTokenCache: { maxEntries: 5 } })).verifiedTokenCacheEntries,
		).toBe(5)
	})

	it('derives the JWKS URI from the issuer, without doubling a trailing slash', () => {
		const { issuers } = resolveOptions(
			valid({ issuers: [{ issuer: 'https://tenant.auth0.com/', audience: 'api' }] }),
		)
		expect(issuers[0]?.jwksUri).toBe('https://tenant.auth0.com/.well-known/jwks.json')
	})

	it('derives the Cognito issuer and JWKS URI from the pool id', () => {
		const [config] = resolveOptions(cognito()).issuers
		expect(config).toMatchObject({
			issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123',
			jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123/.well-known/jwks.json',
			audiences: null,
			cognito: { tokenUse: 'access', clientIds: new Set(['web']), groups: null },
		})
	})

	it('combines Cognito pools and other issuers', () => {
		const { issuers } = resolveOptions(
			valid({
				cognito: [
					{ userPoolId: 'us-east-1_One', clientId: null, tokenUse: null },
					{ userPoolId: 'eu-west-1_Two', clientId: 'c', tokenUse: 'id', groups: 'admins' },
				],
			}),
		)
		expect(issuers.map((config) => config.issuer)).toEqual([
			issuer,
			'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_One',
			'https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_One',
			'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Two',
			'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Two',
		])
		// Both issuers of a pool read its keys from the regional endpoint every pool has.
		expect(new Set(issuers.slice(3).map((config) => config.jwksUri))).toEqual(
			new Set(['https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Two/.well-known/jwks.json']),
		)
		expect(issuers[3]?.cognito?.groups).toEqual(['admins'])
		expect(issuers[4]?.cognito?.groups).toEqual(['admins'])
	})

	it('defaults to every supported asymmetric algorithm and anchors the tenant pattern', () => {
		const resolved = resolveOptions(valid({ tenantIdPattern: /[a-z]+/g }))
		expect([...(resolved.issuers[0]?.algorithms ?? [])]).toEqual([...supportedAlgorithms])
		expect(resolved.tenantIdPattern.test('acme')).toBe(true)
		expect(resolved.tenantIdPattern.test('acme/../x')).toBe(false)
	})

	it('lists every option in defaults', () => {
		expect(Object.keys(defaults).sort()).toEqual(
			[
				'algorithms',
				'clockToleranceSec',
				'cognito',
				'cookieFetchSite',
				'issuers',
				'jwks',
				'maxTokenAgeSec',
				'now',
				'prefetch',
				'realm',
				'requireExp',
				'requiredClaims',
				'requiredScopes',
				'tenantClaim',
				'tenantIdPattern',
				'tenantRequired',
				'tokenSource',
				'tracer',
				'typ',
				'verifiedTokenCache',
			].sort(),
		)
		expect(defaults.jwks).toEqual({
			cacheMaxAgeMs: 600_000,
			cooldownMs: 30_000,
			timeoutMs: 3_000,
			maxBytes: 262_144,
			staleIfErrorMs: 3_600_000,
			failureBackoffMs: 1_000,
		})
	})

	it('leaves no unhandled rejection when a prefetch fails', async () => {
		const unhandled: unknown[] = []
		const listener = (reason: unknown) => unhandled.push(reason)
		process.on('unhandledRejection', listener)
		jwtAuth({
			issuers: { issuer: 'http://127.0.0.1:9', audience: 'api' },
		})
		await new Promise((resolve) => setTimeout(resolve, 100))
		process.off('unhandledRejection', listener)
		expect(unhandled).toEqual([])
	})
})
