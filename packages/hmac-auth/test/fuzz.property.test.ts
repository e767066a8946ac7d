import { httpApiEvent, type LocalSecretsManager, startSecretsManager } from '@tenantry/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotFoundError, type SchemeName, signRequest } from '../src/index.js'
import { fakeClock, freshPrefix, harness } from './helpers.js'

const maxBodyBytes = 4096
const toleranceSec = 300
const secretsByScheme: Record<SchemeName, Record<string, string>> = {
	tenantry: { acme: 'acme-secret', globex: 'globex-secret' },
	'standard-webhooks': {
		acme: `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
		globex: `whsec_${Buffer.alloc(32, 2).toString('base64')}`,
	},
}
const headerNames: Record<SchemeName, string[]> = {
	tenantry: ['x-tenant-id', 'x-timestamp', 'x-signature'],
	'standard-webhooks': ['x-tenant-id', 'webhook-id', 'webhook-timestamp', 'webhook-signature'],
}

type Event = ReturnType<typeof httpApiEvent>

/** A change to one part of a valid request; `oversize` mutations may answer 413. */
interface Mutation {
	describe: string
	apply: (event: Event, original: Record<string, string>) => Event | undefined
	oversize?: boolean
}

const mutation = (scheme: SchemeName): fc.Arbitrary<Mutation> => {
	const header = fc.constantFrom(...headerNames[scheme])
	return fc.oneof(
		fc.record({ name: header }).map(({ name }) => ({
			describe: `remove ${name}`,
			apply: (event: Event) => {
				delete event.headers[name]
				return event
			},
		})),
		fc
			.record({ name: header, value: fc.string({ unit: 'binary', maxLength: 80 }) })
			.map(({ name, value }) => ({
				describe: `set ${name} to ${JSON.stringify(value)}`,
				apply: (event: Event, original: Record<string, string>) => {
					if (value === original[name]) return undefined
					event.headers[name] = value
					return event
				},
			})),
		fc
			.record({
				name: header,
				index: fc.nat(),
				char: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
			})
			.map(({ name, index, char }) => ({
				describe: `replace one character of ${name} by ${JSON.stringify(char)}`,
				apply: (event: Event, original: Record<string, string>) => {
					const value = original[name] ?? ''
					const at = index % Math.max(1, value.length)
					const changed = value.slice(0, at) + char + value.slice(at + 1)
					if (changed === value) return undefined
					event.headers[name] = changed
					return event
				},
			})),
		fc.record({ name: header, cut: fc.integer({ min: 1, max: 10 }) }).map(({ name, cut }) => ({
			describe: `truncate ${name} by ${cut}`,
			apply: (event: Event, original: Record<string, string>) => {
				event.headers[name] = (original[name] ?? '').slice(0, -cut)
				return event
			},
		})),
		fc.record({ name: header }).map(({ name }) => ({
			describe: `pad ${name} with a space`,
			apply: (event: Event, original: Record<string, string>) => {
				event.headers[name] = ` ${original[name] ?? ''}`
				return event
			},
		})),
		fc.constantFrom('globex', 'ACME', 'ghost', 'acme-2', 'Acme').map((tenant) => ({
			describe: `claim tenant ${tenant}`,
			apply: (event: Event, original: Record<string, string>) => {
				if (original['x-tenant-id'] === tenant) return undefined
				event.headers['x-tenant-id'] = tenant
				return event
			},
		})),
		fc
			.integer({ min: -4 * toleranceSec, max: 4 * toleranceSec })
			.filter((shift) => shift !== 0)
			.map((shift) => ({
				describe: `shift the timestamp by ${shift} s`,
				apply: (event: Event, original: Record<string, string>) => {
					const name = scheme === 'tenantry' ? 'x-timestamp' : 'webhook-timestamp'
					const seconds =
						Math.floor(Date.parse(original[name] ?? '') / 1000) || Number(original[name])
					event.headers[name] =
						scheme === 'tenantry'
							? new Date((seconds + shift) * 1000).toISOString().replace('.000Z', 'Z')
							: String(seconds + shift)
					return event
				},
			})),
		fc.constant({
			describe: 'write the same instant as Unix seconds',
			apply: (event: Event, original: Record<string, string>) => {
				if (scheme !== 'tenantry') return undefined
				event.headers['x-timestamp'] = String(Date.parse(original['x-timestamp'] ?? '') / 1000)
				return event
			},
		}),
		fc
			.record({
				extra: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
				atStart: fc.boolean(),
			})
			.map(({ extra, atStart }) => ({
				describe: `add ${JSON.stringify(extra)} to the body`,
				apply: (event: Event) => {
					event.body = atStart ? extra + (event.body ?? '') : (event.body ?? '') + extra
					return event
				},
			})),
		fc
			.record({ index: fc.nat(), char: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) })
			.map(({ index, char }) => ({
				describe: `replace one body character by ${JSON.stringify(char)}`,
				apply: (event: Event) => {
					const body = event.body ?? ''
					if (body.length === 0) return undefined
					const at = index % body.length
					const changed = body.slice(0, at) + char + body.slice(at + 1)
					if (changed === body) return undefined
					event.body = changed
					return event
				},
			})),
		fc.constant({
			describe: 'mark the body base64-encoded',
			apply: (event: Event) => {
				if (!event.body) return undefined
				event.isBase64Encoded = true
				return event
			},
		}),
		fc.constant({
			describe: 'grow the body past maxBodyBytes',
			oversize: true,
			apply: (event: Event) => {
				event.body = `${event.body ?? ''}${'x'.repeat(maxBodyBytes + 1)}`
				return event
			},
		}),
	)
}

const validRequest = fc.record({
	tenant: fc.constantFrom('acme', 'globex'),
	body: fc.oneof(
		fc.string({ unit: 'binary', maxLength: 200 }),
		fc.json({ maxDepth: 3 }),
		fc.constant(''),
	),
	offsetSec: fc.integer({ min: -(toleranceSec - 1), max: toleranceSec - 1 }),
	id: fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/),
})

const propertyFor =
	(scheme: SchemeName, numRuns: number, secretsManager?: LocalSecretsManager) => async () => {
		const clock = fakeClock()
		const secrets = secretsByScheme[scheme]
		const prefix = freshPrefix()
		for (const [tenant, secret] of Object.entries(secrets))
			secretsManager?.putSecret(`${prefix}/${tenant}`, { shared_secret: secret })
		const h = harness({
			scheme,
			secrets: secretsManager
				? { prefix, client: secretsManager.client({ maxAttempts: 1 }) }
				: async (tenant) => {
						const secret = Object.hasOwn(secrets, tenant) ? secrets[tenant] : undefined
						if (secret === undefined) throw new NotFoundError()
						return secret
					},
			maxBodyBytes,
			toleranceSec,
			now: clock.now,
		})
		await fc.assert(
			fc.asyncProperty(validRequest, mutation(scheme), async (request, change) => {
				const headers = {
					'x-tenant-id': request.tenant,
					...signRequest({
						scheme,
						secret: secrets[request.tenant] ?? '',
						body: request.body,
						timestamp: new Date(clock.now() + request.offsetSec * 1000),
						...(scheme === 'standard-webhooks' ? { id: request.id } : {}),
					}),
				}
				const valid = httpApiEvent({ method: 'POST', path: '/hooks', body: request.body, headers })
				const seenBefore = h.seen.length
				expect((await h.handler(structuredClone(valid))).statusCode).toBe(200)
				const mutated = change.apply(structuredClone(valid), headers)
				fc.pre(mutated !== undefined)
				const response = await h.handler(mutated)
				if (change.oversize) expect([401, 413]).toContain(response.statusCode)
				else expect(response.statusCode).toBe(401)
				if (response.statusCode === 401)
					expect(response.headers?.['WWW-Authenticate']).toBeDefined()
				expect(h.seen.length).toBe(seenBefore + 1)
			}),
			{ numRuns },
		)
	}

describe('any mutation of a valid request is rejected, never accepted, never a 500', () => {
	let secretsManager: LocalSecretsManager
	beforeAll(async () => {
		secretsManager = await startSecretsManager()
	})
	afterAll(() => secretsManager.stop())

	it('default scheme (2,000 runs)', propertyFor('tenantry', 2_000), 60_000)
	it('standard-webhooks scheme (2,000 runs)', propertyFor('standard-webhooks', 2_000), 60_000)
	it('default scheme, secrets from the local Secrets Manager (500 runs)', async () => {
		await propertyFor('tenantry', 500, secretsManager)()
	}, 60_000)
})

describe('garbage requests', () => {
	it('get 401 (or 413), never a 500 and never the handler', async () => {
		const clock = fakeClock()
		const h = harness({ secrets: async () => 'acme-secret', maxBodyBytes, now: clock.now })
		const headerValue = fc.oneof(
			fc.string({ unit: 'binary', maxLength: 100 }),
			fc.stringMatching(/^[0-9a-f]{64}$/),
			fc.constantFrom('2026-11-23T10:00:00Z', '1795000000', 'acme', ''),
		)
		await fc.assert(
			fc.asyncProperty(
				fc.dictionary(
					fc.constantFrom(...headerNames.tenantry, 'X-Signature', 'content-type'),
					headerValue,
				),
				fc.option(fc.string({ unit: 'binary', maxLength: 300 })),
				fc.boolean(),
				async (headers, body, isBase64Encoded) => {
					const response = await h.handler({ headers, body, isBase64Encoded, requestContext: {} })
					expect([401, 413]).toContain(response.statusCode)
				},
			),
			{ numRuns: 1_000 },
		)
		expect(h.seen).toEqual([])
	})
})
