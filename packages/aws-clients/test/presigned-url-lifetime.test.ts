import { readFileSync } from 'node:fs'
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pipeline, roleArn, type Stack, startStack } from './harness.js'

let stack: Stack
beforeAll(async () => {
	stack = await startStack()
})
afterAll(() => stack.stop())
beforeEach(() => stack.reset())

/** `20261206T012659Z` → ms */
const amzDate = (value: string | null): number =>
	Date.parse(
		(value ?? '').replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
	)

describe('a URL presigned with a tenant client', () => {
	it("carries the tenant's session, which expires long before the URL says", async () => {
		const run = pipeline(
			{
				clients: { s3: S3Client },
				perClient: { s3: { endpoint: 'http://127.0.0.1:9', forcePathStyle: true } },
				tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) },
			},
			async (context) =>
				getSignedUrl(
					context.clients.s3,
					new GetObjectCommand({ Bucket: 'files', Key: 'acme/report.pdf' }),
					{ expiresIn: 3_600 },
				),
		)
		const url = new URL(JSON.parse((await run.invoke('acme')).body) as string)
		const [session] = stack.sts.assumeRoleCalls
		const signedAt = amzDate(url.searchParams.get('X-Amz-Date'))
		const urlSaysUntil = signedAt + Number(url.searchParams.get('X-Amz-Expires')) * 1_000
		expect({
			token: url.searchParams.has('X-Amz-Security-Token'),
			tenant: session?.tags.tenant_id,
			urlSaysSec: (urlSaysUntil - signedAt) / 1_000,
		}).toEqual({ token: true, tenant: 'acme', urlSaysSec: 3_600 })
		// S3 refuses a presigned URL once the session that signed it has expired: here within
		// durationSeconds (900 s), not the hour the URL names.
		expect(((session?.expiration.getTime() ?? 0) - signedAt) / 1_000).toBeLessThanOrEqual(900)
	})

	it('has that lifetime stated in the README', () => {
		const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
		const paragraph = readme.split(/\n(?=- |\n)/).find((part) => part.includes('getSignedUrl'))
		expect(paragraph).toMatch(/expires/)
		expect(paragraph).toMatch(/`durationSeconds`/)
		expect(paragraph).toMatch(/`refreshBeforeExpiryMs`/)
	})
})
