import { signRequest } from '@tenantry/hmac-auth'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { defineScenario, statusOf } from '../../scripts/demo-kit.js'

const secrets = {
	acme: 'acme-webhook-secret',
	globex: 'globex-webhook-secret',
	initech: 'initech-webhook-secret',
}

export default defineScenario(async (stack) => {
	await stack.dynamodb.createTable('webhook-events')
	await stack.dynamodb.createTable('webhook-replay', { ttlAttribute: 'expiresAt' })
	for (const [tenant, secret] of Object.entries(secrets))
		stack.secretsManager.putSecret(`tenants/${tenant}`, { shared_secret: secret })
	stack.secretsManager.putSecret('webhook-ingest/pseudonym-key', 'demo-pseudonym-key')
	Object.assign(process.env, {
		SECRET_PREFIX: 'tenants',
		DYNAMODB_TABLE_NAME: 'webhook-events',
		REPLAY_TABLE_NAME: 'webhook-replay',
		PSEUDONYM_KEY_SECRET_ID: 'webhook-ingest/pseudonym-key',
	})
	const { handler } = await import('./handler.js')

	let sequence = 0
	const payload = (extra: Record<string, unknown> = {}) =>
		JSON.stringify({
			id: `evt-${++sequence}`,
			type: 'invoice.paid',
			data: { amount: 4200, email: 'jane@example.com' },
			...extra,
		})
	const post = (headers: Record<string, string>, body: string) =>
		statusOf(
			handler(
				httpApiEvent({
					method: 'POST',
					path: '/webhooks',
					headers: { ...headers, 'content-type': 'application/json' },
					body,
				}) as APIGatewayProxyEventV2,
				lambdaContext(),
			),
		)
	const signedBy = (tenant: string, secret: string, body: string, timestamp?: Date) =>
		({
			...signRequest({ secret, body, ...(timestamp ? { timestamp } : {}) }),
			'x-tenant-id': tenant,
		}) as Record<string, string>
	const deliver = (tenant: keyof typeof secrets, body = payload()) =>
		post(signedBy(tenant, secrets[tenant], body), body)
	const withSecretsManagerDown = async (work: () => Promise<string | number>) => {
		stack.secretsManager.faults.inject({ type: 'server-error' })
		try {
			return await work()
		} finally {
			stack.secretsManager.faults.clear()
		}
	}

	const replayed = payload()
	const replayedHeaders = signedBy('acme', secrets.acme, replayed)

	return {
		title: 'webhook-ingest · HMAC-signed webhooks, one secret per tenant',
		chain:
			'hmacAuth (+ DynamoDB replay store) → httpJsonBodyParser → tenantIsolation → @middy/secrets-manager → awsClients → httpErrorHandler',
		rows: [
			{
				request: 'POST /webhooks signed by acme',
				expected: 202,
				run: () => post(replayedHeaders, replayed),
			},
			{ request: 'POST /webhooks signed by globex', expected: 202, run: () => deliver('globex') },
			{
				request: 'the same acme delivery again (replay)',
				expected: 401,
				run: () => post(replayedHeaders, replayed),
			},
			{
				request: 'acme delivery signed 10 minutes ago',
				expected: 401,
				run: () => {
					const body = payload()
					return post(signedBy('acme', secrets.acme, body, new Date(Date.now() - 600_000)), body)
				},
			},
			{
				request: "claims acme, signed with globex's secret",
				expected: 401,
				run: () => {
					const body = payload()
					return post(signedBy('acme', secrets.globex, body), body)
				},
			},
			{
				request: 'unknown tenant umbrella',
				expected: 401,
				run: () => {
					const body = payload()
					return post(signedBy('umbrella', 'guessed-secret', body), body)
				},
			},
			{
				request: 'signed by acme, payload names globex',
				expected: 403,
				run: () => deliver('acme', payload({ tenantId: 'globex' })),
			},
			{
				request: 'Secrets Manager down, acme secret cached',
				expected: 202,
				run: () => withSecretsManagerDown(() => deliver('acme')),
			},
			{
				request: 'Secrets Manager down, initech never seen',
				expected: 503,
				run: () => withSecretsManagerDown(() => deliver('initech')),
			},
			{
				request: 'events table down (DynamoDB 5xx)',
				expected: 503,
				run: async () => {
					stack.dynamodb.faults.inject({ type: 'server-error' }, { target: 'webhook-events' })
					try {
						return await deliver('globex')
					} finally {
						stack.dynamodb.faults.clear()
					}
				},
			},
		],
	}
})
