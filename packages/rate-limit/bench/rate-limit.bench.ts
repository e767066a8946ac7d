import middy, { type MiddlewareObj } from '@middy/core'
import { httpApiEvent, lambdaContext, startDynamoDb } from '@tenantry/testing'
import { createTenantContext, type WithTenant } from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { defineBench } from '../../../scripts/bench-kit.js'
import { dynamoRateLimitStore, memoryRateLimitStore, tenantRateLimit } from '../src/index.js'

const tenant = createTenantContext('acme')
const withTenant: MiddlewareObj<unknown, unknown, Error, Context> = {
	before: (request) => {
		;(request.context as Context & WithTenant).tenant = tenant
	},
}
const handler = async () => ({ statusCode: 200, body: 'ok' })

/**
 * An allowed request with the memory store against the same middy pipeline without rate
 * limiting (target ≤ 1.2×), and, against dynalite, how many DynamoDB calls a request costs.
 */
export default defineBench(async () => {
	const event = httpApiEvent()
	const context = lambdaContext()
	const limited = middy(handler)
		.use(withTenant)
		.use(
			tenantRateLimit({
				limits: { requests: 1_000_000_000, windowSec: 3600 },
				store: memoryRateLimitStore(),
			}),
		)
	const bare = middy(handler).use(withTenant)

	const dynamodb = await startDynamoDb()
	await dynamodb.createTable('rate-limits')
	const store = dynamoRateLimitStore({ tableName: 'rate-limits', client: dynamodb.client() })
	const containers = [0, 1, 2].map(() =>
		middy(handler)
			.use(withTenant)
			.use(tenantRateLimit({ limits: { requests: 60, windowSec: 3600 }, store })),
	)

	return {
		comparisons: [
			{
				name: 'allowed request, memory store',
				ours: () => limited(event, context),
				peers: [{ name: 'bare middy handler', run: () => bare(event, context), target: 1.2 }],
			},
		],
		reports: async () => {
			const statuses: number[] = []
			let callsWhileAllowing = 0
			for (let i = 0; i < 300; i++) {
				const callsBefore = dynamodb.requests.length
				const container = containers[i % 3]
				const response = (await container?.(event, context).catch(
					(error: { statusCode: number }) => error,
				)) as { statusCode: number }
				statuses.push(response.statusCode)
				if (response.statusCode === 200)
					callsWhileAllowing += dynamodb.requests.length - callsBefore
			}
			const allowed = statuses.filter((status) => status === 200).length
			const rejected = statuses.length - allowed
			const callsWhileRejecting = dynamodb.requests.length - callsWhileAllowing
			return [
				{
					name: 'DynamoDB calls per allowed request',
					value: callsWhileAllowing / allowed,
					unit: 'calls',
					target: { max: 1 },
					note: `${allowed} allowed of 300, 3 containers`,
				},
				{
					name: 'DynamoDB calls per rejected request',
					value: callsWhileRejecting / rejected,
					unit: 'calls',
					target: { max: 0.05 },
					note: `${rejected} rejected; ${callsWhileRejecting} calls (one per container at most)`,
				},
			]
		},
		teardown: () => dynamodb.stop(),
	}
})
