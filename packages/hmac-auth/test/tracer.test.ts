import {
	type LocalSecretsManager,
	lambdaContext,
	startSecretsManager,
	startXrayCapture,
	type XrayCapture,
} from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaults, hmacAuth, signRequest } from '../src/index.js'
import { deepText, fakeClock, freshPrefix, signedEvent } from './helpers.js'

let capture: XrayCapture
let secretsManager: LocalSecretsManager

beforeAll(async () => {
	;[capture, secretsManager] = await Promise.all([startXrayCapture(), startSecretsManager()])
	// The X-Ray SDK reads these when the tracer is imported, as in a Lambda sandbox.
	Object.assign(process.env, capture.lambdaEnv('hmac-auth-test'))
})
afterAll(async () => {
	await Promise.all([capture.stop(), secretsManager.stop()])
})

const secret = 'tr4ced-secret-must-not-appear'

describe('with the Powertools tracer', () => {
	it('records a subsegment per secret fetch and annotates tenant_id, with no secret in any segment', async () => {
		const { Tracer } = await import('@aws-lambda-powertools/tracer')
		const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
		const { default: middy } = await import('@middy/core')
		const { default: httpErrorHandler } = await import('@middy/http-error-handler')
		const tracer = new Tracer()
		const prefix = freshPrefix()
		secretsManager.putSecret(`${prefix}/acme`, { shared_secret: secret })
		const clock = fakeClock()
		const handler = middy(async () => ({ statusCode: 200 }))
			.use(captureLambdaHandler(tracer))
			.use(httpErrorHandler({ logger: false }))
			.use(
				hmacAuth({
					secrets: { prefix, client: secretsManager.client({ maxAttempts: 1 }) },
					tracer,
					now: clock.now,
				}),
			)
		const sign = { secret, body: '{}', tenantId: 'acme', timestamp: clock.date() }
		expect(await handler(signedEvent(sign), lambdaContext())).toMatchObject({
			statusCode: 200,
		})
		expect(
			await handler(signedEvent({ ...sign, tenantId: 'ghost' }), lambdaContext()),
		).toMatchObject({
			statusCode: 401,
		})

		const segments = await capture.waitFor(
			(all) =>
				all.filter((s) => s.name === 'hmac-auth.getSecret').length >= 2 &&
				all.filter((s) => s.name === '## index.handler').length >= 2,
		)
		const fetches = segments.filter((s) => s.name === 'hmac-auth.getSecret')
		expect(fetches).toHaveLength(2)
		// An unknown tenant is the sender's mistake, not a fault anyone could inflate.
		expect(fetches.filter((s) => s.fault === true || s.error === true)).toEqual([])
		const handlers = segments.filter((s) => s.name === '## index.handler')
		expect(handlers.map((s) => s.annotations?.tenant_id)).toContain('acme')
		expect(handlers.map((s) => s.annotations?.tenant_id)).not.toContain('ghost')
		const text = JSON.stringify(segments)
		expect(text).not.toContain(secret)
		expect(text).not.toContain(signRequest(sign)['x-signature'])
	})
})

describe('with a tracer-like object', () => {
	it('records our reason on the fetch subsegment, never the SDK error and its raw response', async () => {
		const added: unknown[] = []
		const annotations: unknown[] = []
		const subsegment = {
			addAnnotation: () => undefined,
			addError: (error: Error) => added.push(error),
			close: () => undefined,
		}
		const tracer = {
			isTracingEnabled: () => true,
			getSegment: () => ({ addNewSubsegment: () => subsegment }),
			setSegment: () => undefined,
			putAnnotation: (key: string, value: unknown) => annotations.push([key, value]),
		}
		const prefix = freshPrefix()
		secretsManager.putSecret(`${prefix}/acme`, { shared_secret: secret })
		secretsManager.faults.inject(
			{
				type: 'respond',
				status: 200,
				body: `{"SecretString":"{\\"shared_secret\\":\\"${secret}\\"`,
			},
			{ target: `${prefix}/acme`, times: 1 },
		)
		const clock = fakeClock()
		const mw = hmacAuth({
			secrets: { prefix, client: secretsManager.client({ maxAttempts: 1 }) },
			tracer,
			now: clock.now,
		})
		const event = signedEvent({ secret, body: '{}', tenantId: 'acme', timestamp: clock.date() })
		const request = {
			event,
			context: lambdaContext(),
			response: undefined,
			error: undefined,
			internal: {},
		}
		await expect(mw.before?.(request as never)).rejects.toMatchObject({ statusCode: 503 })
		expect(added).toHaveLength(1)
		expect((added[0] as { code?: string }).code).toBe('hmac_secret_unavailable')
		expect(deepText(added)).not.toContain(secret)
		clock.advance(defaults.cache.failureBackoffMs)
		await mw.before?.(request as never)
		expect(annotations).toEqual([['tenant_id', 'acme']])
	})
})
