import { describe, expect, it } from 'vitest'
import { tenantIsolation } from '../src/index.js'

describe('match.required: true with no location configured', () => {
	// `required: true` asks that the request name its tenant; with no location to read it
	// would require nothing, silently, where a required location left unconfigured in a list
	// is already refused.
	it('is refused when the middleware is built', () => {
		expect(() => tenantIsolation({ match: { required: true } })).toThrow(
			expect.objectContaining({
				name: 'TypeError',
				cause: { package: '@tenantry/tenant-isolation', option: 'match.required' },
			}),
		)
	})

	it('is accepted with a location, and false or [] still require nothing', () => {
		expect(() =>
			tenantIsolation({ match: { pathParameter: 'tenantId', required: true } }),
		).not.toThrow()
		expect(() => tenantIsolation({ match: { required: false } })).not.toThrow()
		expect(() => tenantIsolation({ match: { required: [] } })).not.toThrow()
	})
})
