import { gatewayEvent, gateways } from '@tenantry/testing'
import type { HttpEventLike } from '@tenantry/util'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NotFoundError, signRequest } from '../src/index.js'
import { fakeClock, harness } from './helpers.js'

// The mutation fuzz changes a signed request after signing, so the signature check refuses every
// change first and the checks behind it (the timestamp window above all) decide nothing there:
// a middleware accepting any past timestamp passed it. Here each request is signed as sent, with
// one thing off: the signer's tenant, the claimed tenant, the signed body, the time, a header
// sent twice, on each gateway's event shape.
const numRuns = Number(process.env.TENANTRY_PROPERTY_RUNS ?? 5_000)
const toleranceSec = 300
const maxBodyBytes = 4096
/** Bodies one byte over the limit, counted in bytes: ASCII, two-byte UTF-8 (fewer characters than bytes), raw bytes. */
const oversize = {
	ascii: 'x'.repeat(maxBodyBytes + 1),
	utf8: '\u00e9'.repeat(maxBodyBytes / 2 + 1),
	bytes: Buffer.alloc(maxBodyBytes + 1, 0xff),
} as const
const secrets: Record<string, string> = { acme: 'acme-secret', globex: 'globex-secret' }
const tenants = Object.keys(secrets)

/** Mostly the value of a valid request, sometimes one that is off. */
const mostly = <T>(valid: fc.Arbitrary<T>, off: fc.Arbitrary<T>) =>
	fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: off })

/** Tenant ids one comparison away from a real one. */
const lookAlikes = [
	'ACME',
	'Acme',
	'acme ',
	' acme',
	'acme#',
	'\u0430cme',
	'ac%6De',
	'..',
	'acme/..',
]

const scenario = fc.record({
	tenant: fc.constantFrom(...tenants),
	signer: mostly(fc.constant<'own' | 'other'>('own'), fc.constant<'own' | 'other'>('other')),
	claim: mostly(
		fc.constant<string | undefined>(undefined),
		fc.constantFrom(...lookAlikes, 'globex'),
	),
	body: fc.oneof(
		fc.string({ unit: 'binary', maxLength: 120 }),
		fc.json({ maxDepth: 2 }),
		fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
	),
	size: mostly(
		fc.constant<'small' | keyof typeof oversize>('small'),
		fc.constantFrom<'small' | keyof typeof oversize>('ascii', 'utf8', 'bytes'),
	),
	signedOtherBody: mostly(fc.constant(false), fc.constant(true)),
	// Whole seconds from now, the window's edges included: |skew| < tolerance is accepted.
	offsetSec: mostly(
		fc.integer({ min: -(toleranceSec - 1), max: toleranceSec - 1 }),
		fc.constantFrom(-toleranceSec, toleranceSec, -toleranceSec - 1, -3600, 3600, -86_400),
	),
	duplicate: mostly(
		fc.constant<'none' | 'tenant' | 'signature'>('none'),
		fc.constantFrom<'none' | 'tenant' | 'signature'>('tenant', 'signature'),
	),
	carrier: fc.constantFrom(...gateways),
	casing: fc.constantFrom('lower', 'title', 'upper'),
})
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never

/**
 * The request as each gateway delivers it, as the middleware's event type (an ALB event's
 * `requestContext` shares no member with the API Gateway one `HttpEventLike` describes).
 */
const eventFor = (
	s: Scenario,
	headers: Record<string, string>,
	body: string | Buffer,
): HttpEventLike =>
	gatewayEvent(
		s.carrier,
		{ method: 'POST', path: '/hooks', body, headers },
		s.casing,
	) as HttpEventLike

/** A second line for `name`, as a client sending the header twice makes the gateway pass it. */
const addLine = (event: HttpEventLike, name: string, line: string): HttpEventLike => {
	const multi = event.multiValueHeaders
	if (multi) {
		const key = Object.keys(multi).find((each) => each.toLowerCase() === name) ?? name
		return { ...event, multiValueHeaders: { ...multi, [key]: [...(multi[key] ?? []), line] } }
	}
	const headers = event.headers ?? {}
	const key = Object.keys(headers).find((each) => each.toLowerCase() === name) ?? name
	// Payload 2.0 and single-value ALB events join repeated lines with a comma.
	return { ...event, headers: { ...headers, [key]: `${headers[key] ?? ''},${line}` } }
}

describe('requests signed as sent, with one thing off', () => {
	it('are accepted exactly when every part is right, and then for the signing tenant only', async () => {
		const clock = fakeClock()
		const h = harness({
			secrets: async (tenant) => {
				const secret = Object.hasOwn(secrets, tenant) ? secrets[tenant] : undefined
				if (secret === undefined) throw new NotFoundError()
				return secret
			},
			toleranceSec,
			maxBodyBytes,
			now: clock.now,
		})
		let accepted = 0
		await fc.assert(
			fc.asyncProperty(scenario, async (s) => {
				const other = tenants.find((tenant) => tenant !== s.tenant) as string
				const signer = s.signer === 'own' ? s.tenant : other
				const body = s.size === 'small' ? s.body : oversize[s.size]
				const signed = s.signedOtherBody
					? Buffer.concat([Buffer.from(body), Buffer.from('!')])
					: body
				const timestamp = new Date(clock.now() + s.offsetSec * 1000)
				const headers = {
					'x-tenant-id': s.claim ?? s.tenant,
					...signRequest({ secret: secrets[signer] as string, body: signed, timestamp }),
				}
				let event = eventFor(s, headers, body)
				if (s.duplicate === 'tenant') event = addLine(event, 'x-tenant-id', other)
				if (s.duplicate === 'signature') {
					const twin = signRequest({ secret: secrets[other] as string, body, timestamp })
					event = addLine(event, 'x-signature', twin['x-signature'] as string)
				}
				const ran = h.seen.length
				const response = await h.handler(event)
				if (s.size !== 'small') {
					// Validly signed or not, a body over the limit is refused before anything else.
					expect(response.statusCode).toBe(413)
					expect(h.seen).toHaveLength(ran)
					return
				}
				// A request signed by the tenant it names is valid whichever that is.
				const claimed = s.claim ?? s.tenant
				const valid =
					signer === claimed &&
					!s.signedOtherBody &&
					Math.abs(s.offsetSec) < toleranceSec &&
					s.duplicate === 'none'
				if (!valid) {
					expect(response.statusCode).toBe(401)
					expect(response.headers?.['WWW-Authenticate']).toBeDefined()
					expect(h.seen).toHaveLength(ran)
					return
				}
				accepted++
				expect(response.statusCode).toBe(200)
				expect(h.seen).toHaveLength(ran + 1)
				expect(h.seen.at(-1)).toMatchObject({ tenantId: claimed })
				expect(JSON.parse(response.body)).toEqual({ tenant: claimed })
			}),
			{ numRuns },
		)
		// The oracle's 200 branch must run, or a generator refusing everything would pass.
		expect(accepted).toBeGreaterThan(numRuns / 10)
	}, 60_000)
})
