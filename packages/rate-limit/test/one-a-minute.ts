import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { albMultiValueHeaders, createTenantContext, type WithTenant } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { memoryRateLimitStore, tenantRateLimit } from '../src/index.js'

const acme = createTenantContext('acme')
/** A fixed clock: on the system's, a minute could end between the two requests of a test. */
const now = () => Date.UTC(2026, 10, 23, 10, 0, 0)

/**
 * acme's handler limited to one request a minute, in the order the README gives for every
 * gateway: `albMultiValueHeaders` first (an ALB target group with multi-value headers on reads
 * only `multiValueHeaders` back), then `@middy/http-error-handler`, then the limiter.
 */
export const oneRequestAMinute = <TEvent, TResult>(handler: () => Promise<TResult>) =>
	middy<TEvent, TResult, Error, Context & WithTenant>()
		.use(albMultiValueHeaders())
		.use(httpErrorHandler({ logger: false }))
		.use({
			before: (request) => {
				request.context.tenant = acme
			},
		})
		.use(
			tenantRateLimit({
				limits: { requests: 1, windowSec: 60 },
				store: memoryRateLimitStore(),
				now,
			}),
		)
		.handler(handler)
