import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager'
import { AssumeRoleCommand } from '@aws-sdk/client-sts'
import { startLocalStack } from '@tenantry/testing'
import { createRemoteJWKSet, jwtVerify } from 'jose'

const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
let frame = 0
const progress = setInterval(
	() => process.stdout.write(`\r${spinner[frame++ % spinner.length]} starting the local stack…`),
	80,
)
const stack = await startLocalStack()
clearInterval(progress)
process.stdout.write('\r✓ local stack started                \n\n')

const checks: [string, () => Promise<unknown>][] = [
	[
		'DynamoDB (dynalite) put + get',
		async () => {
			await stack.dynamodb.createTable('demo')
			const client = stack.dynamodb.client()
			await client.send(
				new PutItemCommand({
					TableName: 'demo',
					Item: { pk: { S: 'TENANT#acme#' }, sk: { S: 'hello' } },
				}),
			)
			return (
				await client.send(
					new GetItemCommand({
						TableName: 'demo',
						Key: { pk: { S: 'TENANT#acme#' }, sk: { S: 'hello' } },
					}),
				)
			).Item
		},
	],
	[
		'Secrets Manager GetSecretValue',
		async () => {
			stack.secretsManager.putSecret('tenants/acme', { shared_secret: 'demo' })
			return (
				await stack.secretsManager
					.client()
					.send(new GetSecretValueCommand({ SecretId: 'tenants/acme' }))
			).SecretString
		},
	],
	[
		'STS AssumeRole with a tenant tag',
		async () =>
			(
				await stack.sts.client().send(
					new AssumeRoleCommand({
						RoleArn: 'arn:aws:iam::000000000000:role/tenant',
						RoleSessionName: 'demo',
						Tags: [{ Key: 'tenant_id', Value: 'acme' }],
					}),
				)
			).Credentials?.AccessKeyId,
	],
	[
		'Identity provider sign + verify',
		async () => {
			const token = await stack.identityProvider.sign({ sub: 'demo' })
			return (await jwtVerify(token, createRemoteJWKSet(new URL(stack.identityProvider.jwksUri))))
				.payload.sub
		},
	],
]

let failures = 0
for (const [name, check] of checks) {
	const started = performance.now()
	try {
		const result = await check()
		if (result === undefined) throw new Error('no result')
		console.log(
			`  ok    ${name.padEnd(36)} ${(performance.now() - started).toFixed(1).padStart(7)} ms`,
		)
	} catch (error) {
		failures++
		console.log(`  FAIL  ${name.padEnd(36)} ${String(error)}`)
	}
}
await stack.stop()
console.log(`\n${checks.length - failures} passed, ${failures} failed`)
process.exitCode = failures > 0 ? 1 : 0
