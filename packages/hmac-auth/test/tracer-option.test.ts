import { describe, expect, it } from 'vitest'
import { hmacAuth } from '../src/index.js'

describe('the tracer option', () => {
	it('is refused at factory time when it lacks the methods traced() and annotateTenant() call', () => {
		// Has isTracingEnabled, the one method checked, but not getSegment, setSegment, putAnnotation:
		// accepted, every request that reaches the secret fetch would be a 500.
		expect(() =>
			hmacAuth({
				secrets: { prefix: 'tenants' },
				tracer: { isTracingEnabled: () => true } as never,
			}),
		).toThrow(
			expect.objectContaining({
				name: 'TypeError',
				cause: { package: '@tenantry/hmac-auth', option: 'tracer' },
			}),
		)
	})
})
