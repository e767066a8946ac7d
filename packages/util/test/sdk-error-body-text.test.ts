import { inspect } from 'node:util'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { describe, expect, it } from 'vitest'
import { withoutRawExchange } from '../src/index.js'

const secretAccessKey = 'wJalrXUtnFEMI-tenant-secret'
const sessionToken = 'FwoGZXIvYXdzEtenant-session-token'

/**
 * An AssumeRole answer cut short: a 200 whose XML stops inside the session token. The SDK's
 * XML parser refuses it and keeps the whole body text on its error as `$responseBodyText`,
 * next to `$response`, so the tenant's credentials are in the error.
 */
const truncatedAssumeRole = () =>
	new STSClient({
		region: 'us-east-1',
		maxAttempts: 1,
		credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'function-secret' },
		requestHandler: {
			handle: async () => ({
				response: {
					statusCode: 200,
					reason: 'OK',
					headers: { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-1' },
					body: new Response(
						'<AssumeRoleResponse><AssumeRoleResult><Credentials>' +
							`<AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>${secretAccessKey}</SecretAccessKey>` +
							`<SessionToken>${sessionToken}`,
					).body,
				},
			}),
		} as never,
	})
		.send(
			new AssumeRoleCommand({
				RoleArn: 'arn:aws:iam::123456789012:role/tenant',
				RoleSessionName: 'acme',
			}),
		)
		.then(
			() => undefined,
			(error: unknown) => error,
		)

describe('withoutRawExchange on an answer the SDK could not read', () => {
	it('keeps none of the raw body, which holds what the service answered (here the credentials)', async () => {
		const error = await truncatedAssumeRole()
		// The SDK's error as it is: the body text is there, hidden.
		expect(Object.hasOwn(error as object, '$responseBodyText')).toBe(true)
		const copy = withoutRawExchange(error)
		expect(Object.hasOwn(copy as object, '$responseBodyText')).toBe(false)
		const printed = inspect(copy, { showHidden: true, depth: Number.POSITIVE_INFINITY })
		expect(printed).not.toContain(secretAccessKey)
		expect(printed).not.toContain(sessionToken)
		// Still the SDK's error for the logs: its class, name and metadata.
		expect(copy).toBeInstanceOf(Error)
		expect((copy as Error).name).toBe((error as Error).name)
		expect((copy as { $metadata?: unknown }).$metadata).toEqual(
			(error as { $metadata?: unknown }).$metadata,
		)
	})

	it('drops the body text of an error that has no $response too', () => {
		const error = Object.defineProperty(
			new SyntaxError('Unexpected end of JSON input'),
			'$responseBodyText',
			{
				value: `{"SecretString":"${secretAccessKey}`,
			},
		)
		const copy = withoutRawExchange(error)
		expect(copy).toBeInstanceOf(SyntaxError)
		expect(inspect(copy, { showHidden: true })).not.toContain(secretAccessKey)
		expect((copy as Error).message).toBe('Unexpected end of JSON input')
	})
})
