import type { TracerOptions } from '@aws-lambda-powertools/tracer/types'
import {
	type LocalIdentityProvider,
	startIdentityProvider,
	startXrayCapture,
	type XrayCapture,
} from '@tenantry/testing'
import { afterAll, beforeAll } from 'vitest'

export interface LambdaSandbox {
	capture: XrayCapture
	idp: LocalIdentityProvider
}

/**
 * Registers hooks that start a local X-Ray daemon and identity provider and give process.env
 * what a traced function's Lambda sandbox has during init: no _X_AMZN_TRACE_ID yet, as the runtime
 * sets it per invocation only. The X-Ray SDK reads the environment when it is imported, so tests
 * import the tracer (and what uses it) only once these hooks have run. The environment is restored
 * afterwards. `env` adds to the sandbox's environment.
 */
export const lambdaSandbox = (service: string, env: Record<string, string> = {}): LambdaSandbox => {
	const savedEnv = { ...process.env }
	const sandbox = {} as LambdaSandbox
	beforeAll(async () => {
		;[sandbox.capture, sandbox.idp] = await Promise.all([
			startXrayCapture(),
			startIdentityProvider(),
		])
		const lambdaEnv = sandbox.capture.lambdaEnv(service)
		delete lambdaEnv._X_AMZN_TRACE_ID
		delete process.env._X_AMZN_TRACE_ID
		Object.assign(process.env, lambdaEnv, env)
	})
	afterAll(async () => {
		await Promise.all([sandbox.capture.stop(), sandbox.idp.stop()])
		for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
		Object.assign(process.env, savedEnv)
	})
	return sandbox
}

/**
 * A function's module scope during init: a Tracer with `tracerOptions` and a middy handler traced
 * with it and authenticating against `idp`, after which the default JWKS prefetch starts, outside
 * any invocation. Imports the tracer only now, once the sandbox's environment is set.
 */
export const coldStartHandler = async (
	idp: LocalIdentityProvider,
	tracerOptions?: TracerOptions,
) => {
	// Init comes before any invocation: no trace header, even after an earlier test's invocation.
	delete process.env._X_AMZN_TRACE_ID
	const { Tracer } = await import('@aws-lambda-powertools/tracer')
	const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
	const { default: middy } = await import('@middy/core')
	const { default: httpErrorHandler } = await import('@middy/http-error-handler')
	const { jwtAuth } = await import('../src/index.js')
	const tracer = new Tracer(tracerOptions)
	const handler = middy()
		.use(httpErrorHandler({ logger: false }))
		.use(captureLambdaHandler(tracer))
		.use(jwtAuth({ issuers: { issuer: idp.issuer, audience: 'api' }, tracer }))
		.handler(async () => ({ statusCode: 200 }))
	await new Promise((resolve) => setImmediate(resolve))
	return { tracer, handler }
}
