import { describe, expect, it } from 'vitest'
import { type JwtAuthOptions, jwtAuth } from '../src/index.js'

const options = (jwks: Record<string, unknown>): JwtAuthOptions =>
	({
		issuers: { issuer: 'https://auth.example.com', audience: 'api' },
		prefetch: false,
		jwks,
	}) as JwtAuthOptions

describe('jwks.timeoutMs beyond what a Node timer holds', () => {
	// `setTimeout` turns a delay above 2147483647 ms into 1 ms, so a timeout meant as "wait
	// as long as it takes" (Number.MAX_SAFE_INTEGER, a day in microseconds) would abort every
	// JWKS fetch at once: a 503 on every request instead of an error at cold start.
	it.each([2 ** 31, 86_400_000_000, Number.MAX_SAFE_INTEGER])(
		'refuses %d when the middleware is built',
		(timeoutMs) => {
			expect(() => jwtAuth(options({ timeoutMs }))).toThrow(
				expect.objectContaining({
					name: 'TypeError',
					cause: { package: '@tenantry/jwt-auth', option: 'jwks.timeoutMs' },
				}),
			)
		},
	)

	it('accepts the longest timer, 2147483647 ms', () => {
		expect(() => jwtAuth(options({ timeoutMs: 2_147_483_647 }))).not.toThrow()
	})

	it('the timer really fires at once past that bound (why the option is refused)', async () => {
		const started = performance.now()
		const warnings: string[] = []
		const onWarning = (warning: Error) => warnings.push(warning.name)
		process.on('warning', onWarning)
		try {
			await new Promise((resolve) => setTimeout(resolve, 2 ** 31))
		} finally {
			// The warning is emitted on a later tick than the timer is set.
			await new Promise((resolve) => setImmediate(resolve))
			process.off('warning', onWarning)
		}
		expect(performance.now() - started).toBeLessThan(1_000)
		expect(warnings).toContain('TimeoutOverflowWarning')
	})
})
