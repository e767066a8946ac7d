import { signRequest } from '@tenantry/hmac-auth'
import { httpApiEvent, lambdaContext } from '@tenantry/testing'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import {
	answerOf,
	type DemoAnswer,
	type DemoSection,
	defineScenario,
	importFunction,
} from '../../scripts/demo-kit.js'

const secrets = {
	acme: 'acme-webhook-secret',
	globex: 'globex-webhook-secret',
	initech: 'initech-webhook-secret',
}

export default defineScenario(async (stack, load = importFunction): Promise<DemoSection> => {
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
	const { handler } = await load('webhook-ingest', 'handler', () => import('./handler.js'))

	let sequence = 0
	const payload = (extra: Record<string, unknown> = {}) =>
		JSON.stringify({
			id: `evt-${++sequence}`,
			type: 'invoice.paid',
			data: { amount: 4200, email: 'jane@example.com' },
			...extra,
		})
	const post = (headers: Record<string, string>, body: string) =>
		answerOf(
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
	const withSecretsManagerDown = async (work: () => Promise<DemoAnswer>) => {
		stack.secretsManager.faults.inject({ type: 'server-error' })
		try {
			return await work()
		} finally {
			stack.secretsManager.faults.clear()
		}
	}

	const hmacChallenge = { 'www-authenticate': /^HMAC realm=/ }
	const retryAfter = { 'retry-after': /^\d+$/ }
	const replayed = payload()
	const replayedHeaders = signedBy('acme', secrets.acme, replayed)

	return {
		title: 'webhook-ingest · HMAC-signed webhooks, one secret per tenant',
		chain:
			'hmacAuth (+ DynamoDB replay store) → httpJsonBodyParser → tenantIsolation → @middy/secrets-manager → awsClients → httpErrorHandler',
		rows: [
			{
				request: 'POST /webhooks signed by acme',
				why: "acme's secret from Secrets Manager; the delivery id claimed in the replay table, then stored",
				showKeys: true,
				expected: 202,
				run: () => post(replayedHeaders, replayed),
			},
			{
				request: 'POST /webhooks signed by globex',
				why: "globex's own secret and keys",
				showKeys: true,
				expected: 202,
				run: () => deliver('globex'),
			},
			{
				request: 'the same acme delivery again (replay)',
				why: 'a valid signature, but its claim is already in the replay table',
				headers: hmacChallenge,
				showKeys: true,
				expected: 401,
				run: () => post(replayedHeaders, replayed),
			},
			{
				request: 'acme delivery signed 10 minutes ago',
				why: 'outside the 5-minute tolerance: refused before any lookup',
				headers: hmacChallenge,
				expected: 401,
				run: () => {
					const body = payload()
					return post(signedBy('acme', secrets.acme, body, new Date(Date.now() - 600_000)), body)
				},
			},
			{
				request: "claims acme, signed with globex's secret",
				why: "the signature does not verify with acme's secret",
				headers: hmacChallenge,
				expected: 401,
				run: () => {
					const body = payload()
					return post(signedBy('acme', secrets.globex, body), body)
				},
			},
			{
				request: 'unknown tenant umbrella',
				why: 'no secret for umbrella: the same 401 as a bad signature',
				headers: hmacChallenge,
				expected: 401,
				run: () => {
					const body = payload()
					return post(signedBy('umbrella', 'guessed-secret', body), body)
				},
			},
			{
				request: 'signed by acme, payload names globex',
				why: 'tenantIsolation: the body names another tenant than the signer; nothing stored',
				showKeys: true,
				expected: 403,
				run: () => deliver('acme', payload({ tenantId: 'globex' })),
			},
			{
				request: 'Secrets Manager down, acme secret cached',
				why: "acme's secret is served from the cache while Secrets Manager answers 500",
				expected: 202,
				run: () => withSecretsManagerDown(() => deliver('acme')),
			},
			{
				request: 'Secrets Manager down, initech never seen',
				why: 'no cached secret to verify with: 503 to retry, not a 401',
				headers: retryAfter,
				expected: 503,
				run: () => withSecretsManagerDown(() => deliver('initech')),
			},
			{
				request: 'events table down (DynamoDB 5xx)',
				why: 'the write fails after its retries: 503 with Retry-After, so the sender delivers again',
				showKeys: true,
				headers: retryAfter,
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
