import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type LocalDynamoDb, type LocalSts, startDynamoDb, startSts } from '../src/index.js'

let sts: LocalSts
let client: STSClient
let fakeNow = Date.UTC(2026, 10, 23, 10, 0, 0)

beforeAll(async () => {
	sts = await startSts({ now: () => fakeNow })
	client = sts.client({ maxAttempts: 1 })
})
afterAll(() => sts.stop())
beforeEach(() => {
	sts.faults.clear()
	sts.resetCalls()
})

const roleArn = 'arn:aws:iam::000000000000:role/tenant-data-access'

const assumeRole = (
	tenant: string,
	extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {},
) =>
	client.send(
		new AssumeRoleCommand({
			RoleArn: roleArn,
			RoleSessionName: `tenant-${tenant}`,
			DurationSeconds: 900,
			Tags: [{ Key: 'tenant_id', Value: tenant }],
			...extra,
		}),
	)

describe('local STS through the real STSClient (awsQuery protocol)', () => {
	it('issues credentials that expire after DurationSeconds on the given clock', async () => {
		const { Credentials, AssumedRoleUser } = await assumeRole('acme')
		expect(Credentials?.AccessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/)
		expect(Credentials?.SecretAccessKey).toBeTruthy()
		expect(Credentials?.SessionToken).toBeTruthy()
		expect(Credentials?.Expiration).toEqual(new Date(fakeNow + 900_000))
		expect(AssumedRoleUser?.Arn).toBe(
			'arn:aws:sts::000000000000:assumed-role/tenant-data-access/tenant-acme',
		)
		fakeNow += 60_000
		const later = await assumeRole('acme')
		expect(later.Credentials?.Expiration).toEqual(new Date(fakeNow + 900_000))
	})

	it('records each call with its session tags', async () => {
		const { Credentials } = await assumeRole('acme', {
			Tags: [
				{ Key: 'tenant_id', Value: 'acme' },
				{ Key: 'tier', Value: 'gold' },
			],
			TransitiveTagKeys: ['tenant_id'],
		})
		expect(sts.assumeRoleCalls).toEqual([
			expect.objectContaining({
				roleArn,
				roleSessionName: 'tenant-acme',
				durationSeconds: 900,
				tags: { tenant_id: 'acme', tier: 'gold' },
				transitiveTagKeys: ['tenant_id'],
				accessKeyId: Credentials?.AccessKeyId,
			}),
		])
		expect(sts.callForAccessKey(Credentials?.AccessKeyId)?.tags.tenant_id).toBe('acme')
	})

	it('rejects what real STS rejects', async () => {
		await expect(assumeRole('x', { RoleSessionName: 'bad name!' })).rejects.toMatchObject({
			name: 'ValidationError',
		})
		await expect(assumeRole('x', { DurationSeconds: 60 })).rejects.toMatchObject({
			name: 'ValidationError',
		})
		await expect(assumeRole('x', { RoleArn: 'not-an-arn' })).rejects.toMatchObject({
			name: 'ValidationError',
		})
		await expect(
			assumeRole('x', {
				Tags: [
					{ Key: 'tenant_id', Value: 'a' },
					{ Key: 'TENANT_ID', Value: 'b' },
				],
			}),
		).rejects.toMatchObject({ name: 'ValidationError' })
		await expect(assumeRole('x', { Policy: 'x'.repeat(2_049) })).rejects.toMatchObject({
			name: 'ValidationError',
		})
		expect(sts.assumeRoleCalls).toHaveLength(0)
	})

	it('names one request id in the x-amzn-RequestId header and in the XML, for answers and errors', async () => {
		const post = async (body: string) => {
			const response = await fetch(sts.endpoint, {
				method: 'POST',
				headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
				body,
			})
			const xml = await response.text()
			return { header: response.headers.get('x-amzn-requestid'), xml }
		}
		const answered = await post(
			`Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(roleArn)}&RoleSessionName=raw`,
		)
		const refused = await post('Action=AssumeRole&Version=2011-06-15&RoleArn=nope')
		for (const { header, xml } of [answered, refused]) {
			expect(header).toMatch(/^[\da-f-]{36}$/)
			expect(xml).toContain(`<RequestId>${header}</RequestId>`)
		}
	})

	it('limits role chaining (a request signed with a role session key) to an hour, and sends a request id', async () => {
		const first = await assumeRole('acme', { DurationSeconds: 3_600 })
		expect(first.$metadata.requestId).toBeTruthy()
		const { AccessKeyId, SecretAccessKey, SessionToken } = first.Credentials ?? {}
		const chained = sts.client({
			credentials: {
				accessKeyId: AccessKeyId ?? '',
				secretAccessKey: SecretAccessKey ?? '',
				sessionToken: SessionToken ?? '',
			},
		})
		const chain = (DurationSeconds: number) =>
			chained.send(
				new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'chained', DurationSeconds }),
			)
		await expect(chain(7_200)).rejects.toMatchObject({ name: 'ValidationError' })
		await expect(chain(3_600)).resolves.toMatchObject({ Credentials: expect.any(Object) })
	})

	it('injects throttling (retried by the SDK), access denied, 5xx and malformed XML', async () => {
		sts.faults.inject({ type: 'throttle' }, { times: 1 })
		await expect(
			sts.client({ maxAttempts: 2 }).send(
				new AssumeRoleCommand({
					RoleArn: roleArn,
					RoleSessionName: 'retry',
					Tags: [{ Key: 'tenant_id', Value: 'r' }],
				}),
			),
		).resolves.toMatchObject({ $metadata: { attempts: 2 } })
		sts.faults.inject({ type: 'access-denied' }, { times: 1, target: roleArn })
		await expect(assumeRole('acme')).rejects.toMatchObject({
			name: 'AccessDenied',
			$metadata: { httpStatusCode: 403 },
		})
		sts.faults.inject({ type: 'server-error' }, { times: 1 })
		await expect(assumeRole('acme')).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } })
		sts.faults.inject({ type: 'malformed' }, { times: 1 })
		await expect(assumeRole('acme')).rejects.toThrow()
		await expect(assumeRole('acme')).resolves.toBeTruthy()
	})
})

describe('local STS answers it rarely gives', () => {
	it('limits role chaining to an hour even when the role allows longer sessions', async () => {
		const longSessions = await startSts({ maxSessionDuration: 43_200 })
		try {
			const request = (DurationSeconds: number) =>
				new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'chain', DurationSeconds })
			const first = await longSessions.client({ maxAttempts: 1 }).send(request(7_200))
			const { AccessKeyId, SecretAccessKey, SessionToken } = first.Credentials ?? {}
			const chained = longSessions.client({
				maxAttempts: 1,
				credentials: {
					accessKeyId: AccessKeyId ?? '',
					secretAccessKey: SecretAccessKey ?? '',
					sessionToken: SessionToken ?? '',
				},
			})
			await expect(chained.send(request(7_200))).rejects.toMatchObject({
				name: 'ValidationError',
				$fault: 'client',
				$metadata: { httpStatusCode: 400 },
				message: expect.stringContaining('role chaining'),
			})
		} finally {
			await longSessions.stop()
		}
	})

	it('answers ValidationError for a missing RoleArn', async () => {
		await expect(assumeRole('x', { RoleArn: undefined })).rejects.toMatchObject({
			name: 'ValidationError',
			$metadata: { httpStatusCode: 400 },
		})
	})

	it('accepts a policy whose Statement is one object rather than a list, as IAM does', async () => {
		const Policy = JSON.stringify({
			Version: '2012-10-17',
			Statement: { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' },
		})
		await expect(assumeRole('acme', { Policy })).resolves.toMatchObject({
			Credentials: expect.any(Object),
		})
		expect(sts.assumeRoleCalls[0]?.policy).toBe(Policy)
	})

	it('answers InvalidAction for an action it does not know, or another API version', async () => {
		const send = async (body: string) => {
			const response = await fetch(sts.endpoint, {
				method: 'POST',
				headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
				body,
			})
			return { status: response.status, xml: await response.text() }
		}
		for (const body of [
			'Action=GetSessionTokenSomewhere&Version=2011-06-15',
			'Action=AssumeRole&Version=2010-01-01',
		])
			expect(await send(body)).toMatchObject({
				status: 400,
				xml: expect.stringContaining('<Code>InvalidAction</Code>'),
			})
		expect(sts.assumeRoleCalls).toHaveLength(0)
	})

	it('answers a delayed fault once the delay ends, and drops the connection for down', async () => {
		sts.faults.inject(
			{ type: 'delay', ms: 5, answer: { type: 'access-denied' } },
			{ times: 1, target: roleArn },
		)
		await expect(assumeRole('acme')).rejects.toMatchObject({
			name: 'AccessDenied',
			$metadata: { httpStatusCode: 403 },
		})
		sts.faults.inject({ type: 'down' }, { times: 1 })
		await expect(assumeRole('acme')).rejects.toThrow()
		expect(sts.assumeRoleCalls).toHaveLength(0)
	})

	it('injects an oversized answer: a 200 the SDK reads as a response without credentials', async () => {
		for (const fault of [{ type: 'oversized' }, { type: 'oversized', bytes: 10 }] as const) {
			sts.faults.inject(fault, { times: 1 })
			const answer = await assumeRole('acme')
			expect(answer.$metadata.httpStatusCode).toBe(200)
			expect(answer.Credentials).toBeUndefined()
		}
		expect(sts.assumeRoleCalls).toHaveLength(0)
	})
})

describe('credentials from STS attribute DynamoDB requests to a tenant', () => {
	let dynamodb: LocalDynamoDb
	beforeAll(async () => {
		dynamodb = await startDynamoDb()
		await dynamodb.createTable('tenant-data')
	})
	afterAll(() => dynamodb.stop())

	it('records the access key id a tenant-scoped client signed with', async () => {
		const { Credentials } = await assumeRole('globex')
		const tenantClient = dynamodb.client({
			credentials: {
				accessKeyId: Credentials?.AccessKeyId ?? '',
				secretAccessKey: Credentials?.SecretAccessKey ?? '',
				sessionToken: Credentials?.SessionToken ?? '',
			},
		})
		await tenantClient.send(
			new GetItemCommand({
				TableName: 'tenant-data',
				Key: { pk: { S: 'TENANT#globex#' }, sk: { S: '1' } },
			}),
		)
		const [request] = dynamodb.requests.filter((r) => r.operation === 'GetItem')
		expect(sts.callForAccessKey(request?.accessKeyId)?.tags).toEqual({ tenant_id: 'globex' })
	})
})
