import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { awsClients, awsClientsPlugin } from '@tenantry/aws-clients'
import { tenantIsolation } from '@tenantry/tenant-isolation'
import { forbidden, logHttpError, TenantryError } from '@tenantry/util'
import type {
	APIGatewayProxyEventV2WithLambdaAuthorizer,
	APIGatewayProxyResultV2,
} from 'aws-lambda'
import type { TenantAuthorizerContext } from './authorizer.js'

const tableName = process.env.DYNAMODB_TABLE_NAME

/**
 * The scope this route needs. The authorizer's decision is cached per token for every route, so
 * it cannot require a route's scopes: each downstream function checks its own.
 */
const requiredScope = 'profile:read'
const insufficientScope = `Bearer error="insufficient_scope", scope="${requiredScope}"`

/** The refusal's reason: its `code` tells this 403 apart from a tenant mismatch in the log. */
const missingScope = () =>
	new TenantryError(
		'@tenantry/example-tenant-authorizer',
		'insufficient_scope',
		`token lacks the ${requiredScope} scope`,
	)

/**
 * GET /tenants/{tenantId}/profile behind the Lambda authorizer. The tenant comes from
 * `requestContext.authorizer.lambda.tenant_id` (tenantIsolation reads it by default); the path
 * must name the same tenant; the token must carry the `profile:read` scope; the DynamoDB client
 * refuses keys of other tenants.
 */
export const handler = middy<
	APIGatewayProxyEventV2WithLambdaAuthorizer<TenantAuthorizerContext>,
	APIGatewayProxyResultV2
>(awsClientsPlugin())
	.use(tenantIsolation({ match: { pathParameter: 'tenantId' } }))
	.use(
		awsClients({
			clients: { dynamodb: DynamoDBClient },
			// Well within the function's 10 s: 2 attempts of 1 s, so a DynamoDB that does not answer
			// is a 503; the defaults (3 attempts of 3 s) would leave under a second to spare.
			config: { maxAttempts: 2 },
			httpHandler: { connectionTimeout: 1_000, requestTimeout: 1_000 },
			tableName,
		}),
	)
	// One JSON line per refused request (its reason and tenant, never a token or body); 5xx whole.
	.use(httpErrorHandler({ logger: logHttpError }))
	.handler(async (event, context) => {
		const { scope, sub } = event.requestContext.authorizer.lambda
		if (!scope.split(' ').includes(requiredScope))
			throw forbidden(missingScope(), insufficientScope)
		const { Item } = await context.clients.dynamodb.send(
			new GetItemCommand({
				TableName: context.tableName,
				Key: { pk: { S: context.tenant.key('PROFILE', 'main') }, sk: { S: 'PROFILE' } },
			}),
		)
		return {
			statusCode: 200,
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({
				tenant: context.tenant.id,
				user: sub,
				plan: Item?.plan?.S ?? 'free',
			}),
		}
	})
