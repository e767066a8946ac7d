import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { expect, it } from 'vitest'

/**
 * The README offers Cognito (`COGNITO_USER_POOL_ID`: "Cognito access tokens of this app client";
 * "The token's tenant is read from `custom:tenant_id` (Cognito custom attribute)"), and
 * handler.ts accepts access tokens (`tokenUse: 'access'`) with jwtAuth's default tenant claims.
 * jwt-auth's README says what that takes, and this README must say it too, as it is what a
 * deployer reads: a user who may write `custom:tenant_id` (an app client's write attributes)
 * moves themselves into another tenant, past tenant isolation, the STS session tag and IAM alike;
 * and Cognito access tokens carry no custom attribute without a pre-token-generation trigger
 * (V2), so without one every request is a 403.
 */
const root = resolve(import.meta.dirname, '../../..')
const read = (path: string) => readFileSync(resolve(root, path), 'utf8')

it('the tenant-api README says custom:tenant_id must be read-only for users, and how it gets into access tokens', () => {
	const handler = read('examples/tenant-api/handler.ts')
	expect(handler).toContain("tokenUse: 'access'")
	// The package README's warning, which the example relies on.
	const jwtAuthReadme = read('packages/jwt-auth/README.md').replace(/\s+/g, ' ')
	expect(jwtAuthReadme).toContain('make `custom:tenant_id` **read-only** for users')
	const readme = read('examples/tenant-api/README.md').replace(/\s+/g, ' ')
	expect(readme).toContain('custom:tenant_id')
	expect(readme).toMatch(/read-only/i)
	expect(readme).toMatch(/write attributes/i)
	expect(readme).toMatch(/pre-token-generation trigger/i)
})
