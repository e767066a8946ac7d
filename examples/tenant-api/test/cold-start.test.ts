import { type LocalStack, startLocalStack } from '@tenantry/testing'
import { afterAll, expect, it, vi } from 'vitest'

let stack: LocalStack | undefined
afterAll(() => stack?.stop())

it('starts the JWKS fetch at cold start without making module evaluation wait for it', async () => {
	stack = await startLocalStack()
	stack.applyEnv()
	// The identity provider holds its answer for a minute: an import that waited would time out.
	stack.identityProvider.faults.inject(
		{ type: 'delay', ms: 60_000 },
		{ target: '/.well-known/jwks.json' },
	)
	Object.assign(process.env, {
		ISSUER: stack.identityProvider.issuer,
		AUDIENCE: 'tenant-api',
		DYNAMODB_TABLE_NAME: 'tenant-items',
		TENANT_ROLE_ARN: 'arn:aws:iam::000000000000:role/tenant-data',
	})
	const { handler } = await import('../handler.js')
	expect(typeof handler).toBe('function')
	const idp = stack.identityProvider
	// No request was made: the fetch comes from the prefetch alone.
	await vi.waitFor(() => expect(idp.jwksCalls()).toBe(1))
	expect(stack.dynamodb.requests).toEqual([])
	expect(stack.sts.assumeRoleCalls).toEqual([])
})

it('fails its cold start naming a required variable that is not set, rather than later', async () => {
	vi.resetModules()
	const { DYNAMODB_TABLE_NAME: _, ...rest } = process.env
	const saved = process.env
	process.env = rest
	try {
		await expect(import('../handler.js')).rejects.toThrow(
			'environment variable DYNAMODB_TABLE_NAME is not set',
		)
	} finally {
		process.env = saved
	}
})
