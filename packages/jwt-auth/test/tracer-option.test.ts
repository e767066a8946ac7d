import { describe, expect, it } from 'vitest'
import { jwtAuth } from '../src/index.js'

describe('the tracer option', () => {
	it('is refused at factory time when it lacks the methods traced() and annotateTenant() call', () => {
		// Only isTracingEnabled is checked today: accepted, a valid token with the issuer up gets
		// a 503 (jwks_invalid, "tracer.getSegment is not a function" as its cause).
		expect(() =>
			jwtAuth({
				issuers: { issuer: 'https://id.example.com', audience: 'api' },
				prefetch: false,
				tracer: { isTracingEnabled: () => true } as never,
			}),
		).toThrow(
			expect.objectContaining({
				name: 'TypeError',
				cause: { package: '@tenantry/jwt-auth', option: 'tracer' },
			}),
		)
	})
})
