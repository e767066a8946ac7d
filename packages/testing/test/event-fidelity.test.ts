import { describe, expect, it } from 'vitest'
import { httpApiEvent, restApiEvent } from '../src/index.js'

describe('event fields as API Gateway fills them', () => {
	// An HTTP API JWT authorizer hands the integration every claim as a string: numbers and
	// booleans printed, an array as `[a b]` (space-separated in brackets). A handler that reads
	// `exp` as a number or `cognito:groups` as an array passes against a builder that keeps the
	// token's JSON types, and fails behind API Gateway.
	it('HTTP API (2.0): JWT authorizer claims reach the integration as strings', () => {
		const event = httpApiEvent({
			authorizer: {
				jwt: {
					claims: {
						'custom:tenant_id': 'acme',
						exp: 1_700_000_000,
						email_verified: true,
						'cognito:groups': ['admin', 'ops'],
					},
					scopes: ['items:read'],
				},
			},
		})
		expect((event.requestContext as unknown as { authorizer: unknown }).authorizer).toEqual({
			jwt: {
				claims: {
					'custom:tenant_id': 'acme',
					exp: '1700000000',
					email_verified: 'true',
					'cognito:groups': '[admin ops]',
				},
				scopes: ['items:read'],
			},
		})
	})

	// Header names are case-insensitive; a client sending `user-agent` (every HTTP/2 client does)
	// still has its agent in `requestContext.identity.userAgent`.
	it('REST API (1.0): identity.userAgent is the User-Agent header in any spelling', () => {
		const event = restApiEvent({ headers: { 'user-agent': 'curl/8.5.0' } })
		expect(event.requestContext.identity.userAgent).toBe('curl/8.5.0')
	})
})
