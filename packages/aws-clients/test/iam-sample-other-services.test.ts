import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

interface Statement {
	Action: string[]
	Resource?: string | string[]
	Condition?: unknown
}

/**
 * `clients` takes any SDK v3 client, and only DynamoDB has a guard: the others are scoped by
 * the tenant role's policy alone. A policy granting `s3:GetObject` on a bucket, or
 * `ssm:GetParameter` on `*`, lets every tenant read every other's objects and parameters, so
 * the README's sample must show how the `tenant_id` session tag scopes them too.
 */
describe("the README's tenant role policy", () => {
	const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
	const statements = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].flatMap(
		([, json]) => (JSON.parse(json ?? '{}') as { Statement?: Statement[] }).Statement ?? [],
	)
	// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not JavaScript
	const tag = '${aws:PrincipalTag/tenant_id}'

	it.each(['s3', 'secretsmanager', 'ssm'])(
		'grants %s only on resources named by the tenant_id session tag',
		(service) => {
			const granting = statements.filter((statement) =>
				statement.Action.some((action) => action.startsWith(`${service}:`)),
			)
			expect(granting).not.toEqual([])
			for (const statement of granting) {
				const resources = [statement.Resource ?? []].flat()
				expect(resources.every((resource) => resource.includes(tag))).toBe(true)
			}
		},
	)

	/**
	 * A shared event bus and a shared KMS key have no per-tenant resource to name, but IAM checks
	 * a part of each request against the tag: an event's `source` (`events:source`, per entry of
	 * `PutEvents`) and the encryption context (`kms:EncryptionContext:<key>`). Without such a
	 * condition, `kms:Decrypt` on a key shared by tenants decrypts every tenant's ciphertext.
	 */
	it.each([
		['events', 'events:source'],
		['kms', 'kms:EncryptionContext:tenant_id'],
	])('grants %s only under a condition binding %s to the tenant_id session tag', (service, key) => {
		const granting = statements.filter((statement) =>
			statement.Action.some((action) => action.startsWith(`${service}:`)),
		)
		expect(granting).not.toEqual([])
		for (const statement of granting) {
			const equals = (statement.Condition as { StringEquals?: Record<string, unknown> } | undefined)
				?.StringEquals
			expect(String(equals?.[key])).toContain(tag)
		}
	})
})
