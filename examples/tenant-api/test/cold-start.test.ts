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

/** Imports the handler afresh, as a new container does, with `variables` changed meanwhile. */
const coldStartWith = async (variables: Record<string, string | undefined>) => {
	const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]))
	const set = (values: Record<string, string | undefined>) => {
		for (const [name, value] of Object.entries(values)) {
			if (value === undefined) delete process.env[name]
			else process.env[name] = value
		}
	}
	set(variables)
	vi.resetModules()
	try {
		return await import('../handler.js')
	} finally {
		set(saved)
	}
}

it('fails its cold start naming a required variable that is not set, rather than later', async () => {
	await expect(coldStartWith({ DYNAMODB_TABLE_NAME: undefined })).rejects.toThrow(
		'environment variable DYNAMODB_TABLE_NAME is not set',
	)
})

it('fails the cold start when a required variable is set but empty', async () => {
	// A template parameter left blank deploys an empty string, not a missing variable.
	await expect(coldStartWith({ DYNAMODB_TABLE_NAME: '' })).rejects.toThrow(
		'environment variable DYNAMODB_TABLE_NAME is not set',
	)
})

it('with a Cognito user pool configured, needs its app client and no ISSUER or AUDIENCE', async () => {
	// Every variable it reads is set here: the first test's would not be there when run alone.
	const cognito = {
		DYNAMODB_TABLE_NAME: 'tenant-items',
		TENANT_ROLE_ARN: 'arn:aws:iam::000000000000:role/tenant-data',
		COGNITO_USER_POOL_ID: 'us-east-1_Example01',
		ISSUER: undefined,
		AUDIENCE: undefined,
	}
	await expect(coldStartWith({ ...cognito, COGNITO_CLIENT_ID: undefined })).rejects.toThrow(
		'environment variable COGNITO_CLIENT_ID is not set',
	)
	// The cold start's JWKS prefetch (scheduled with setImmediate) would ask AWS for the pool's
	// keys: it is held back, so that no test reaches the internet.
	vi.useFakeTimers({ toFake: ['setImmediate'] })
	try {
		const { handler } = await coldStartWith({ ...cognito, COGNITO_CLIENT_ID: 'example-client' })
		expect(typeof handler).toBe('function')
	} finally {
		vi.clearAllTimers()
		vi.useRealTimers()
	}
})
