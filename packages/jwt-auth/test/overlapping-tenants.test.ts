import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { Context } from 'aws-lambda'
import { expect, it } from 'vitest'
import type { WithJwtAuth } from '../src/index.js'
import { identityProviderPerTest, pipeline } from './helpers.js'

const local = identityProviderPerTest()

// Overlapping requests share the issuer's one JWKS fetch and the verified-token cache: each must
// still be authenticated as its own token's tenant, whether it waited for the fetch or hit the
// cache while another tenant's request was verified.
it('authenticates overlapping requests of two tenants each as its own, across a shared cold JWKS fetch and cache hits', async () => {
	const { idp } = local
	const run = pipeline({ issuers: { issuer: idp.issuer, audience: 'api' }, prefetch: false })
	const tokenOf: Record<string, string> = {}
	for (const tenant of ['acme', 'globex'])
		tokenOf[tenant] = await idp.sign({ sub: `user-${tenant}`, aud: 'api', tenant_id: tenant })
	const tenants = ['acme', 'globex', 'globex', 'acme', 'acme', 'globex']
	const round = () =>
		Promise.all(
			tenants.map(async (tenant) => {
				const context = lambdaContext() as Context & WithJwtAuth
				const event = httpApiEvent({ headers: { authorization: `Bearer ${tokenOf[tenant]}` } })
				const { statusCode } = await run.invoke(event, context)
				return { tenant, statusCode, auth: context.auth }
			}),
		)
	// The cold fetch answers late, so every request of the first round waits on it.
	idp.faults.inject({ type: 'delay', ms: 50 }, { target: '/.well-known/jwks.json', times: 1 })
	const cold = await round()
	const warm = await round()

	expect(idp.jwksCalls()).toBe(1)
	for (const { tenant, statusCode, auth } of [...cold, ...warm]) {
		expect(statusCode).toBe(200)
		expect({ tenantId: auth.tenantId, subject: auth.subject }).toEqual({
			tenantId: tenant,
			subject: `user-${tenant}`,
		})
	}
})
